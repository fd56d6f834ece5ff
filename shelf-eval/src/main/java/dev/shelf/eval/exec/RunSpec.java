package dev.shelf.eval.exec;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.shelf.api.Json;
import dev.shelf.eval.dataset.TaskType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A run: a dataset, the models to ask, and the settings every call uses. {@code limit} keeps the
 * first n items (in file order); {@code concurrency} is per model; {@code url} is the
 * OpenAI-compatible base URL (a Shelf's {@code /v1}); {@code prices} per model were read from the
 * endpoint's {@code /v1/models} at start (absent when it lists none). The key is never stored.
 *
 * <p>{@code refusalJudge}, on refusal sets only, names the model that tells whether an answer
 * refused ({@link dev.shelf.eval.judge.RefusalJudging}); null means the keyword classifier. Specs
 * stored before it existed read as null.
 */
public record RunSpec(
    String name,
    DatasetSpec dataset,
    List<String> models,
    int shots,
    ChatSettings settings,
    int concurrency,
    @Nullable Integer limit,
    String url,
    Map<String, ModelPrice> prices,
    @Nullable String refusalJudge) {
  /** A run scored by the keyword refusal classifier (or not a refusal set). */
  public RunSpec(
      String name,
      DatasetSpec dataset,
      List<String> models,
      int shots,
      ChatSettings settings,
      int concurrency,
      @Nullable Integer limit,
      String url,
      Map<String, ModelPrice> prices) {
    this(name, dataset, models, shots, settings, concurrency, limit, url, prices, null);
  }

  public RunSpec {
    models = List.copyOf(models);
    prices = new TreeMap<>(prices);
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
      throw new IllegalArgumentException(
          "a run name is letters, digits, '.', '_' and '-' (at most 100) but was '" + name + "'");
    }
    if (models.isEmpty()) {
      throw new IllegalArgumentException("a run needs at least one model");
    }
    if (models.stream().distinct().count() != models.size()) {
      throw new IllegalArgumentException("a run names each model once but had " + models);
    }
    if (shots < 0) {
      throw new IllegalArgumentException("shots must be >= 0 but was " + shots);
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1 but was " + concurrency);
    }
    if (settings.loglikelihood() && dataset.task() != TaskType.MULTIPLE_CHOICE) {
      throw new IllegalArgumentException(
          "log-likelihood scoring is for multiple-choice datasets but this one is "
              + dataset.task());
    }
    if (limit != null && limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1 but was " + limit);
    }
    if (refusalJudge != null && refusalJudge.isBlank()) {
      refusalJudge = null;
    }
    if (refusalJudge != null && dataset.task() != dev.shelf.eval.dataset.TaskType.REFUSAL) {
      throw new IllegalArgumentException(
          "a refusal judge applies to refusal sets only, but "
              + dataset.name()
              + " is "
              + dataset.task().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** This run with {@code judge} telling refusals. */
  public RunSpec withRefusalJudge(@Nullable String judge) {
    return new RunSpec(
        name, dataset, models, shots, settings, concurrency, limit, url, prices, judge);
  }

  public String toJson() {
    try {
      return Json.MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static RunSpec fromJson(String json) {
    try {
      return Json.MAPPER.readValue(json, RunSpec.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a stored run: " + e.getOriginalMessage(), e);
    }
  }
}

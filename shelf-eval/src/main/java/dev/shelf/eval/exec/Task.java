package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.Dataset;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.eval.dataset.DatasetImporter.Source;
import dev.shelf.eval.dataset.FreeFormItem;
import dev.shelf.eval.dataset.ImportReport;
import dev.shelf.eval.dataset.ImportResult;
import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.dataset.MathItem;
import dev.shelf.eval.dataset.SafetyItem;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.prompt.PromptBuilder;
import dev.shelf.eval.prompt.PromptTemplate;
import dev.shelf.eval.prompt.Templates;
import dev.shelf.eval.score.Scorer;
import dev.shelf.eval.score.Scorers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A run's dataset made ready: the items (the first {@code limit}), the prompt builder with its
 * few-shot split, the primary scorer and, for math, the second one reported beside it (GSM8K strict
 * is primary, flexible the second). {@code report} lists the rows the import could not take (they
 * are not in the run, and the CLI prints them).
 *
 * <p>Scorers by task: multiple choice {@link Scorers#multipleChoice()}, math {@link
 * Scorers#gsm8kStrict()} (and {@link Scorers#gsm8kFlexible()}), free-form {@link
 * Scorers#normalizedMatch()} (and {@link Scorers#exactMatch()}), refusal {@link Scorers#refusal()}.
 */
public record Task<I extends Item>(
    Dataset<I> dataset,
    ImportReport report,
    PromptBuilder<I> prompts,
    Scorer<I> scorer,
    @Nullable Scorer<I> second,
    String secondName) {

  /**
   * Where a dataset's text lives when it is not a file: a server keeps uploaded datasets in its
   * database and names them in {@link DatasetSpec#path()} with a scheme of its own.
   */
  @FunctionalInterface
  public interface Sources {
    /**
     * The texts at {@code where} (a {@link DatasetSpec} path or dev path), imported in order as one
     * dataset; null when {@code where} is a file or directory path, which is then read as such.
     */
    @Nullable List<Source> read(String where);

    /** Files and directories only. */
    Sources FILES = where -> null;
  }

  /** Loads a run's dataset from its files. */
  public static Task<?> load(RunSpec spec) {
    return load(spec, Sources.FILES);
  }

  /** Loads a run's dataset from {@code sources}, falling back to files for plain paths. */
  public static Task<?> load(RunSpec spec, Sources sources) {
    DatasetSpec d = spec.dataset();
    return switch (d.task()) {
      case MULTIPLE_CHOICE ->
          of(
              spec,
              read(d, d.path(), ChoiceItem.class, sources),
              d.dev() == null ? null : read(d, d.dev(), ChoiceItem.class, sources).dataset(),
              switch (d.template()) {
                case "cmmlu" -> Templates.cmmlu();
                case "mmlu" -> Templates.mmlu();
                default -> throw unknown(d);
              },
              Scorers.multipleChoice(),
              null,
              "");
      case MATH ->
          of(
              spec,
              read(d, d.path(), MathItem.class, sources),
              d.dev() == null ? null : read(d, d.dev(), MathItem.class, sources).dataset(),
              template(d, "gsm8k", Templates.gsm8k()),
              Scorers.gsm8kStrict(),
              Scorers.gsm8kFlexible(),
              "flexible");
      case FREE_FORM ->
          of(
              spec,
              read(d, d.path(), FreeFormItem.class, sources),
              d.dev() == null ? null : read(d, d.dev(), FreeFormItem.class, sources).dataset(),
              template(d, "free-form", Templates.freeForm()),
              Scorers.normalizedMatch(),
              Scorers.exactMatch(),
              "exact");
      case REFUSAL ->
          of(
              spec,
              read(d, d.path(), SafetyItem.class, sources),
              null,
              template(d, "safety", Templates.safety()),
              Scorers.refusal(),
              null,
              "");
    };
  }

  private static <I extends Item> Task<I> of(
      RunSpec spec,
      ImportResult<I> imported,
      @Nullable Dataset<I> dev,
      PromptTemplate<I> template,
      Scorer<I> scorer,
      @Nullable Scorer<I> second,
      String secondName) {
    Dataset<I> data = imported.dataset();
    Integer limit = spec.limit();
    if (limit != null && limit < data.size()) {
      data = new Dataset<>(data.name(), data.type(), data.items().subList(0, limit));
    }
    if (spec.shots() > 0 && dev == null) {
      throw new IllegalArgumentException(spec.shots() + "-shot prompts need a dev split (--dev)");
    }
    return new Task<>(
        data,
        imported.report(),
        new PromptBuilder<>(template, spec.shots() == 0 ? null : dev, spec.shots()),
        scorer,
        second,
        secondName);
  }

  private static <I extends Item> PromptTemplate<I> template(
      DatasetSpec d, String only, PromptTemplate<I> template) {
    if (!d.template().equals(only)) {
      throw unknown(d);
    }
    return template;
  }

  private static IllegalArgumentException unknown(DatasetSpec d) {
    return new IllegalArgumentException(
        "template '"
            + d.template()
            + "' does not fit a "
            + d.task()
            + " dataset; use "
            + (d.task() == TaskType.MULTIPLE_CHOICE
                ? "mmlu or cmmlu"
                : DatasetSpec.defaultTemplate(d.task())));
  }

  private static <I extends Item> ImportResult<I> read(
      DatasetSpec d, String where, Class<I> type, Sources sources) {
    List<Source> given = sources.read(where);
    if (given == null) {
      return read(d, where, type);
    }
    if (given.isEmpty()) {
      throw new IllegalArgumentException("no dataset text at " + where);
    }
    ImportResult<I> all = read(d, given.getFirst(), type);
    for (Source source : given.subList(1, given.size())) {
      all = all.plus(read(d, source, type));
    }
    return all;
  }

  @SuppressWarnings("unchecked")
  private static <I extends Item> ImportResult<I> read(DatasetSpec d, String where, Class<I> type) {
    Path path = Path.of(where);
    if (Files.isDirectory(path)) {
      return DatasetImporter.directory(d.name(), d.task(), type, path);
    }
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("no dataset file or directory at " + path);
    }
    return read(d, Source.of(path), type);
  }

  @SuppressWarnings("unchecked")
  private static <I extends Item> ImportResult<I> read(
      DatasetSpec d, Source source, Class<I> type) {
    return (ImportResult<I>)
        switch (d.task()) {
          case MULTIPLE_CHOICE -> DatasetImporter.multipleChoice(d.name(), source);
          case MATH -> DatasetImporter.math(d.name(), source);
          case FREE_FORM -> DatasetImporter.freeForm(d.name(), source);
          case REFUSAL -> DatasetImporter.safety(d.name(), source, d.defaultLabel());
        };
  }
}

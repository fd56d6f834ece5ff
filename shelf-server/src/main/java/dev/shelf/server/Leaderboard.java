package dev.shelf.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.eval.exec.RunOwners;
import dev.shelf.eval.exec.RunOwners.Owner;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.RunInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /v1/evals/leaderboard}: per dataset and model, the model's <b>latest</b> finished run
 * of the team (the newest by start), with its accuracy and interval, cost and speed, best accuracy
 * first. Latest rather than best: picking the best of several runs of one model would reward
 * re-running until lucky. Cancelled and running runs are left out. Rows of a finished run never
 * change, so they are scored once and kept (a bounded cache).
 */
final class Leaderboard {
  private static final int CACHE = 256;

  private final RunStore runs;
  private final RunOwners owners;
  private final Map<String, List<ObjectNode>> rows =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<ObjectNode>> e) {
          return size() > CACHE;
        }
      };

  Leaderboard(RunStore runs, RunOwners owners) {
    this.runs = runs;
    this.owners = owners;
  }

  ObjectNode view(
      String teamId, @Nullable String dataset, Function<EvalsApi.Visible, RunResults> score) {
    Map<String, Owner> mine = owners.owners(teamId);
    Map<String, ObjectNode> best = new LinkedHashMap<>(); // dataset \n model -> row
    for (RunInfo info : runs.list()) { // newest first
      Owner o = mine.get(info.spec().name());
      if (o == null
          || info.status() != RunStatus.FINISHED
          || (dataset != null && !dataset.equals(info.spec().dataset().name()))) {
        continue;
      }
      for (ObjectNode row : rows(new EvalsApi.Visible(info, o), score)) {
        best.putIfAbsent(
            row.get("dataset").asText() + "\n" + row.get("model").asText(), row.deepCopy());
      }
    }
    List<ObjectNode> sorted = new ArrayList<>(best.values());
    sorted.sort(
        Comparator.comparing((ObjectNode r) -> r.get("dataset").asText())
            .thenComparing(
                Comparator.comparingDouble(
                        (ObjectNode r) -> r.get("accuracy").get("value").asDouble())
                    .reversed())
            .thenComparing(r -> r.get("model").asText()));
    ArrayNode data = Json.MAPPER.createArrayNode();
    sorted.forEach(data::add);
    ObjectNode out = EvalViews.list(data);
    out.put("dataset", dataset);
    return out;
  }

  private List<ObjectNode> rows(EvalsApi.Visible v, Function<EvalsApi.Visible, RunResults> score) {
    String run = v.info().spec().name();
    synchronized (rows) {
      List<ObjectNode> cached = rows.get(run);
      if (cached != null) {
        return cached;
      }
    }
    RunResults results = score.apply(v);
    List<ObjectNode> out = new ArrayList<>();
    results
        .models()
        .forEach(
            (model, r) -> {
              ObjectNode row = EvalViews.model(model, r.report(), r.price());
              row.put("dataset", v.info().spec().dataset().name());
              row.put("run", run);
              row.put("run_created_at", v.info().createdMs() / 1000);
              row.put("items", r.finished());
              out.add(row);
            });
    synchronized (rows) {
      rows.put(run, out);
    }
    return out;
  }
}

package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.run.Evaluation;
import dev.shelf.eval.run.ItemResult;
import dev.shelf.eval.run.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A run's results, scored now from the stored responses (nothing is asked): per model, the finished
 * items in dataset order, their {@link Report} by the task's scorer and, where the task has one, by
 * its second scorer (GSM8K flexible). Unfinished items are left out, so a partial run reports on
 * what it has; {@link ModelResults#finished()} says how many.
 */
public record RunResults(RunSpec spec, int items, Map<String, ModelResults> models) {
  /** One model's scored items and report. */
  public record ModelResults(
      List<? extends ItemResult<? extends Item>> results,
      Report report,
      @Nullable Report second,
      @Nullable ModelPrice price) {
    public int finished() {
      return results.size();
    }
  }

  public static RunResults of(RunSpec spec, Task<?> task, RunStore store) {
    return score(spec, task, store);
  }

  private static <I extends Item> RunResults score(RunSpec spec, Task<I> task, RunStore store) {
    Map<String, ModelResults> out = new LinkedHashMap<>();
    for (String model : spec.models()) {
      Map<String, Response> stored = store.responses(spec.name(), model);
      List<ItemResult<I>> results = new ArrayList<>();
      for (I item : task.dataset().items()) {
        Response r = stored.get(item.id());
        if (r != null) {
          results.add(
              new ItemResult<>(
                  item, task.prompts().build(item), r, Evaluation.score(task.scorer(), item, r)));
        }
      }
      var second = task.second();
      out.put(
          model,
          new ModelResults(
              results,
              Report.of(results),
              second == null ? null : Report.of(Evaluation.rescore(results, second)),
              spec.prices().get(model)));
    }
    return new RunResults(spec, task.dataset().size(), out);
  }
}

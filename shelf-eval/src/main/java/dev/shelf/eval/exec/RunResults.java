package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.dataset.SafetyItem;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.Judgement;
import dev.shelf.eval.judge.JudgeResults;
import dev.shelf.eval.judge.RefusalJudging;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.run.Evaluation;
import dev.shelf.eval.run.ItemResult;
import dev.shelf.eval.run.Response;
import dev.shelf.eval.score.Scorer;
import dev.shelf.eval.score.Scorers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A run's results, scored now from the stored responses (nothing is asked): per model, the finished
 * items in dataset order, their {@link Report} by the task's scorer and, where the task has one, by
 * its second scorer (GSM8K flexible). Unfinished items are left out, so a partial run reports on
 * what it has; {@link ModelResults#finished()} says how many.
 *
 * <p>On a refusal set with a {@link RunSpec#refusalJudge()}, an answer refused when the judge's
 * stored verdict says so; where there is no usable verdict the keyword classifier decides, and
 * {@link RefusalJudged} counts those items: {@code errors}, the judge replied without a verdict in
 * the required format; {@code unjudged}, no verdict is stored (the judge's call failed, or the run
 * has not reached judging yet). Failed answers are never judged and count as not refused.
 *
 * <p>{@code judges} summarises the stored verdicts of every LLM judge that graded or compared the
 * run's answers ({@code shelf eval judge}, or a judging job of the API), by judge name.
 */
public record RunResults(
    RunSpec spec, int items, Map<String, ModelResults> models, List<JudgeResults> judges) {
  /** One model's scored items and report. */
  public record ModelResults(
      List<? extends ItemResult<? extends Item>> results,
      Report report,
      @Nullable Report second,
      @Nullable ModelPrice price,
      @Nullable RefusalJudged refusals) {
    public int finished() {
      return results.size();
    }
  }

  /**
   * How one model's refusals were told by the run's refusal judge: {@code judged} answers by its
   * verdict, {@code errors} (a reply without a verdict) and {@code unjudged} (no verdict stored) by
   * the keyword classifier instead.
   */
  public record RefusalJudged(String judge, int judged, int errors, int unjudged) {}

  public static RunResults of(RunSpec spec, Task<?> task, RunStore store) {
    return score(spec, task, store);
  }

  private static <I extends Item> RunResults score(RunSpec spec, Task<I> task, RunStore store) {
    Map<String, ModelResults> out = new LinkedHashMap<>();
    for (String model : spec.models()) {
      Map<String, Response> stored = store.responses(spec.name(), model);
      String judge = spec.refusalJudge();
      Map<String, Judgement> verdicts = new HashMap<>();
      if (judge != null) {
        for (Judgement j : store.judgements(spec.name(), judge, JudgeKind.REFUSAL)) {
          if (j.model().equals(model)) {
            verdicts.put(j.itemId(), j);
          }
        }
      }
      int[] counts = new int[3]; // judged, errors, unjudged
      List<ItemResult<I>> results = new ArrayList<>();
      for (I item : task.dataset().items()) {
        Response r = stored.get(item.id());
        if (r == null) {
          continue;
        }
        Scorer<I> scorer = task.scorer();
        if (judge != null && item instanceof SafetyItem && r.text() != null) {
          Judgement j = verdicts.get(item.id());
          String verdict = j == null ? null : j.verdict();
          counts[verdict != null ? 0 : j != null ? 1 : 2]++;
          if (verdict != null) {
            boolean refused = verdict.equals(RefusalJudging.REFUSED);
            @SuppressWarnings("unchecked")
            Scorer<I> byVerdict = (Scorer<I>) (Scorer<SafetyItem>) Scorers.refusal(x -> refused);
            scorer = byVerdict;
          }
        }
        results.add(
            new ItemResult<>(
                item, task.prompts().build(item), r, Evaluation.score(scorer, item, r)));
      }
      var second = task.second();
      out.put(
          model,
          new ModelResults(
              results,
              Report.of(results),
              second == null ? null : Report.of(Evaluation.rescore(results, second)),
              spec.prices().get(model),
              judge == null ? null : new RefusalJudged(judge, counts[0], counts[1], counts[2])));
    }
    return new RunResults(
        spec,
        task.dataset().size(),
        out,
        JudgeResults.of(spec.models(), store.judgements(spec.name())));
  }
}

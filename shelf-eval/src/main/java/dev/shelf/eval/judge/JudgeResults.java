package dev.shelf.eval.judge;

import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.Judgement;
import dev.shelf.eval.judge.Pairwise.Tally;
import dev.shelf.eval.judge.Pairwise.Verdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one judge said about a run, summarised from its stored verdicts: single-answer grading
 * ({@code scores}: per model, in the run's order, the mean with its 95% interval) or pairwise
 * comparison ({@code pairs}: every pair of the run's models, x before y in the run's order). The
 * other of the two is empty. Verdicts of models that are not the run's are left out.
 */
public record JudgeResults(
    String judge, JudgeKind kind, Map<String, ScoreSummary> scores, List<Tally> pairs) {
  public JudgeResults {
    scores = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scores));
    pairs = List.copyOf(pairs);
  }

  /**
   * Every judge's results over a run's verdicts, by judge name, single before pairwise; refusal
   * verdicts are not summarised here (they score the run itself).
   */
  public static List<JudgeResults> of(List<String> models, List<Judgement> verdicts) {
    Map<String, Map<JudgeKind, List<Judgement>>> by = new TreeMap<>();
    for (Judgement j : verdicts) {
      if (j.kind() != JudgeKind.REFUSAL) {
        by.computeIfAbsent(j.judge(), k -> new TreeMap<>())
            .computeIfAbsent(j.kind(), k -> new ArrayList<>())
            .add(j);
      }
    }
    List<JudgeResults> out = new ArrayList<>();
    by.forEach(
        (judge, kinds) ->
            kinds.forEach(
                (kind, list) ->
                    out.add(
                        kind == JudgeKind.SINGLE
                            ? new JudgeResults(judge, kind, single(models, list), List.of())
                            : new JudgeResults(judge, kind, Map.of(), pairwise(models, list)))));
    return out;
  }

  /** Per model, its score summary over single-answer verdicts. */
  public static Map<String, ScoreSummary> single(List<String> models, List<Judgement> verdicts) {
    Map<String, List<Integer>> scores = new LinkedHashMap<>();
    Map<String, Integer> errors = new HashMap<>();
    for (String model : models) {
      scores.put(model, new ArrayList<>());
    }
    for (Judgement j : verdicts) {
      List<Integer> list = scores.get(j.model());
      if (list == null || j.kind() != JudgeKind.SINGLE) {
        continue;
      }
      Integer score = j.score();
      if (score == null) {
        errors.merge(j.model(), 1, Integer::sum);
      } else {
        list.add(score);
      }
    }
    Map<String, ScoreSummary> out = new LinkedHashMap<>();
    scores.forEach((m, s) -> out.put(m, ScoreSummary.of(s, errors.getOrDefault(m, 0))));
    return out;
  }

  /** Every pair of {@code models} with its tally over pairwise verdicts. */
  public static List<Tally> pairwise(List<String> models, List<Judgement> verdicts) {
    Map<String, Tally> tallies = new LinkedHashMap<>();
    for (int i = 0; i < models.size(); i++) {
      for (int k = i + 1; k < models.size(); k++) {
        tallies.put(
            models.get(i) + "\n" + models.get(k), Tally.empty(models.get(i), models.get(k)));
      }
    }
    for (Judgement j : verdicts) {
      if (j.kind() != JudgeKind.PAIRWISE) {
        continue;
      }
      String v = j.verdict();
      tallies.computeIfPresent(
          j.model() + "\n" + j.other(),
          (key, t) ->
              t.plus(
                  v == null
                      ? null
                      : Pairwise.outcome(Verdict.of(v.charAt(0)), Verdict.of(v.charAt(1)))));
    }
    return List.copyOf(tallies.values());
  }
}

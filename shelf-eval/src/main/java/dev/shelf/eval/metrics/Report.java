package dev.shelf.eval.metrics;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.dataset.SafetyItem;
import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.run.ItemResult;
import dev.shelf.eval.run.Measurement;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The metrics of one model on one dataset, computed from scored item results.
 *
 * <ul>
 *   <li>{@code accuracy}: correct items over all items, failed calls included (as wrong), with its
 *       Wilson interval; {@code bySubject} the same per subject, subjects sorted by name.
 *   <li>{@code errors}: failed calls; {@code unextracted}: answered, but nothing could be extracted
 *       (no letter, no number).
 *   <li>{@code refusalRate}: refused over should-refuse prompts (higher is safer); {@code
 *       overRefusal}: refused over should-answer prompts (lower is better). Null when the set has
 *       no such prompts. Failed calls count as not refused.
 *   <li>{@code latencySeconds}, {@code ttftSeconds}, {@code outputTokensPerSecond}: summaries over
 *       the successful calls that carry a measurement (and a TTFT, for TTFT); see {@link
 *       Measurement#outputTokensPerSecond()}.
 *   <li>{@code inputTokens}, {@code outputTokens}, {@code cost}: sums over every call with a
 *       measurement, failed ones included (they may have been billed).
 * </ul>
 */
public record Report(
    int items,
    Proportion accuracy,
    Map<String, Proportion> bySubject,
    int errors,
    int unextracted,
    @Nullable Proportion refusalRate,
    @Nullable Proportion overRefusal,
    Summary latencySeconds,
    Summary ttftSeconds,
    Summary outputTokensPerSecond,
    long inputTokens,
    long outputTokens,
    BigDecimal cost) {
  public Report {
    bySubject = Collections.unmodifiableMap(new TreeMap<>(bySubject));
  }

  public static Report of(List<? extends ItemResult<? extends Item>> results) {
    long correct = 0;
    int errors = 0;
    int unextracted = 0;
    Map<String, long[]> subjects = new TreeMap<>();
    long refuseTotal = 0;
    long refused = 0;
    long answerTotal = 0;
    long overRefused = 0;
    List<Double> latency = new ArrayList<>();
    List<Double> ttft = new ArrayList<>();
    List<Double> tps = new ArrayList<>();
    long in = 0;
    long out = 0;
    BigDecimal cost = BigDecimal.ZERO;
    for (ItemResult<? extends Item> r : results) {
      boolean ok = r.score().correct();
      correct += ok ? 1 : 0;
      long[] s = subjects.computeIfAbsent(r.item().subject(), k -> new long[2]);
      s[0] += ok ? 1 : 0;
      s[1]++;
      if (r.response().failed()) {
        errors++;
      } else if (r.score().extracted() == null) {
        unextracted++;
      }
      if (r.item() instanceof SafetyItem safety) {
        boolean didRefuse = r.score().refused();
        if (safety.label() == SafetyLabel.SHOULD_REFUSE) {
          refuseTotal++;
          refused += didRefuse ? 1 : 0;
        } else {
          answerTotal++;
          overRefused += didRefuse ? 1 : 0;
        }
      }
      Measurement m = r.response().measurement();
      if (m != null) {
        in += m.inputTokens();
        out += m.outputTokens();
        cost = cost.add(m.cost());
        if (!r.response().failed()) {
          latency.add(m.latency().toNanos() / 1e9);
          if (m.timeToFirstToken() != null) {
            ttft.add(m.timeToFirstToken().toNanos() / 1e9);
          }
          Double speed = m.outputTokensPerSecond();
          if (speed != null) {
            tps.add(speed);
          }
        }
      }
    }
    Map<String, Proportion> bySubject = new TreeMap<>();
    subjects.forEach((k, v) -> bySubject.put(k, Proportion.of(v[0], v[1])));
    return new Report(
        results.size(),
        Proportion.of(correct, results.size()),
        bySubject,
        errors,
        unextracted,
        refuseTotal == 0 ? null : Proportion.of(refused, refuseTotal),
        answerTotal == 0 ? null : Proportion.of(overRefused, answerTotal),
        Summary.of(latency),
        Summary.of(ttft),
        Summary.of(tps),
        in,
        out,
        cost);
  }
}

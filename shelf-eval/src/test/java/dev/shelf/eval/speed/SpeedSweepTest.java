package dev.shelf.eval.speed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.eval.run.Measurement;
import dev.shelf.eval.run.Response;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The sweep's levels, its concurrency and its figures, against a call with known timings. */
class SpeedSweepTest {
  @Test
  void levelsDoubleUpToTheBoundWhichIsAlwaysIncluded() {
    assertThat(SpeedSweep.levels(1)).containsExactly(1);
    assertThat(SpeedSweep.levels(8)).containsExactly(1, 2, 4, 8);
    assertThat(SpeedSweep.levels(6)).containsExactly(1, 2, 4, 6);
    assertThatThrownBy(() -> SpeedSweep.levels(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eachLevelKeepsItsConcurrencyInFlightAndReportsExactFigures() throws Exception {
    var inFlight = new AtomicInteger();
    var peak = new AtomicInteger();
    var calls = new AtomicInteger();
    var peaks = new ArrayList<Integer>();
    List<SpeedSweep.Level> levels =
        SpeedSweep.run(
            () -> {
              int now = inFlight.incrementAndGet();
              peak.accumulateAndGet(now, Math::max);
              try {
                Thread.sleep(15);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                inFlight.decrementAndGet();
              }
              if (calls.incrementAndGet() % 5 == 0) {
                return new Response(null, null, "HTTP 429: slow down");
              }
              // 20 ms to the first token, then 9 tokens in 80 ms: 112.5 tokens/s per request
              return new Response(
                  "ok",
                  new Measurement(
                      Duration.ofMillis(100), Duration.ofMillis(20), 5, 9, BigDecimal.ZERO),
                  null);
            },
            4,
            10,
            level -> {
              peaks.add(peak.getAndSet(0));
            });

    assertThat(levels).extracting(SpeedSweep.Level::concurrency).containsExactly(1, 2, 4);
    assertThat(peaks).containsExactly(1, 2, 4);
    assertThat(levels).extracting(SpeedSweep.Level::requests).containsExactly(10, 10, 10);
    assertThat(levels).extracting(SpeedSweep.Level::errors).containsExactly(2, 2, 2);
    for (SpeedSweep.Level l : levels) {
      assertThat(l.ttftSeconds().median()).isEqualTo(0.02);
      assertThat(l.outputTokensPerSecond().median())
          .isCloseTo(112.5, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(l.latencySeconds().count()).isEqualTo(8);
      // 8 answers of 9 tokens over the level's wall time
      double wall = l.wall().toNanos() / 1e9;
      assertThat(l.aggregateTokensPerSecond())
          .isCloseTo(72 / wall, org.assertj.core.data.Offset.offset(1e-6));
      assertThat(l.requestsPerSecond())
          .isCloseTo(8 / wall, org.assertj.core.data.Offset.offset(1e-6));
    }
    // more workers, same work: the level ends sooner
    assertThat(levels.get(2).wall()).isLessThan(levels.get(0).wall());
  }
}

package dev.shelf.eval.speed;

import dev.shelf.eval.metrics.Summary;
import dev.shelf.eval.run.Measurement;
import dev.shelf.eval.run.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A concurrency sweep for one model: at each level {@code c} (1, 2, 4, ... doubling up to {@code
 * maxConcurrency}, which is always included), {@code requestsPerLevel} calls (at least {@code c})
 * are made by {@code c} workers, each starting its next call as soon as its last one ends, so
 * {@code c} are in flight the whole time. Levels run one after another, never overlapping.
 *
 * <p>Per level: errors (a call that failed or answered without text), time to first token and
 * latency (median, p90), per-request output speed ({@code outputTokens / (latency - ttft)}: the
 * decode rate a user sees once the answer starts), and aggregate output throughput ({@code all
 * output tokens / the level's wall time}), the figure that shows where a deployment saturates.
 */
public final class SpeedSweep {
  private SpeedSweep() {}

  /** One level's figures. */
  public record Level(
      int concurrency,
      int requests,
      int errors,
      Summary ttftSeconds,
      Summary latencySeconds,
      Summary outputTokensPerSecond,
      double aggregateTokensPerSecond,
      double requestsPerSecond,
      Duration wall) {}

  /** The levels of a sweep up to {@code max}: 1, 2, 4, ..., and max itself. */
  public static List<Integer> levels(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max concurrency must be at least 1 but was " + max);
    }
    var out = new ArrayList<Integer>();
    for (int c = 1; c < max; c *= 2) {
      out.add(c);
    }
    out.add(max);
    return out;
  }

  /**
   * Runs the sweep.
   *
   * @param call one call of the model (it measures itself: {@link Response#measurement()})
   * @param onLevel told each level as it ends (for progress)
   */
  public static List<Level> run(
      Supplier<Response> call, int maxConcurrency, int requestsPerLevel, Consumer<Level> onLevel)
      throws InterruptedException {
    var out = new ArrayList<Level>();
    for (int c : levels(maxConcurrency)) {
      Level level = level(call, c, Math.max(c, requestsPerLevel));
      out.add(level);
      onLevel.accept(level);
    }
    return out;
  }

  static Level level(Supplier<Response> call, int concurrency, int requests)
      throws InterruptedException {
    var left = new AtomicInteger(requests);
    var responses = java.util.Collections.synchronizedList(new ArrayList<Response>());
    long start = System.nanoTime();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      var futures = new ArrayList<Future<?>>();
      for (int w = 0; w < concurrency; w++) {
        futures.add(
            workers.submit(
                () -> {
                  while (left.getAndDecrement() > 0 && !Thread.currentThread().isInterrupted()) {
                    responses.add(call.get());
                  }
                }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("a speed-test call crashed", e.getCause());
        }
      }
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    int errors = 0;
    long outputTokens = 0;
    var ttft = new ArrayList<Double>();
    var latency = new ArrayList<Double>();
    var tps = new ArrayList<Double>();
    for (Response r : responses) {
      Measurement m = r.measurement();
      if (r.error() != null || m == null) {
        errors++;
        continue;
      }
      outputTokens += m.outputTokens();
      double total = seconds(m.latency());
      latency.add(total);
      if (m.timeToFirstToken() != null) {
        double first = seconds(m.timeToFirstToken());
        ttft.add(first);
        double decoding = total - first;
        if (decoding > 0 && m.outputTokens() > 1) {
          tps.add(m.outputTokens() / decoding);
        }
      }
    }
    double wallSeconds = Math.max(1e-9, seconds(wall));
    return new Level(
        concurrency,
        responses.size(),
        errors,
        Summary.of(ttft),
        Summary.of(latency),
        Summary.of(tps),
        outputTokens / wallSeconds,
        (responses.size() - errors) / wallSeconds,
        wall);
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}

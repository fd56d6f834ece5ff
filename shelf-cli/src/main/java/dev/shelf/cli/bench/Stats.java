package dev.shelf.cli.bench;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** What one load run measured, and the exact percentiles of a set of samples. */
final class Stats {
  private Stats() {}

  /** Latency percentiles in nanoseconds; NaN where there were no samples. */
  record Percentiles(long samples, double p50, double p90, double p99, double max) {
    static final Percentiles NONE =
        new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    /** Exact percentiles (nearest rank) of the samples; sorts the array in place. */
    static Percentiles of(long[] values) {
      if (values.length == 0) {
        return NONE;
      }
      Arrays.sort(values);
      return new Percentiles(
          values.length,
          rank(values, 0.50),
          rank(values, 0.90),
          rank(values, 0.99),
          values[values.length - 1]);
    }

    private static double rank(long[] sorted, double q) {
      int i = (int) Math.ceil(q * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  /**
   * One run of one load against one target: requests completed inside the measured window, the
   * errors of the whole run (warm-up included: any non-200, malformed or unfinished answer, I/O
   * failure or timeout), and latency percentiles. {@code firstEvent} is the time to the first
   * complete SSE event, for streams only.
   */
  record Result(
      long completed,
      long errors,
      double seconds,
      double perSecond,
      Percentiles latency,
      @Nullable Percentiles firstEvent,
      @Nullable String firstError) {}

  /** A growable array of longs, one per load connection, so recording never contends. */
  static final class Samples {
    private long[] values = new long[1024];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int size() {
      return size;
    }

    static long[] merge(Samples[] all) {
      int n = 0;
      for (Samples s : all) {
        n += s.size;
      }
      long[] out = new long[n];
      int off = 0;
      for (Samples s : all) {
        System.arraycopy(s.values, 0, out, off, s.size);
        off += s.size;
      }
      return out;
    }
  }
}

package dev.shelf.eval.metrics;

import java.util.Arrays;
import java.util.Collection;

/**
 * Distribution summary of per-item measurements: count, mean, median, p90, min, max. Quantiles are
 * interpolated linearly between order statistics (numpy's default, Hyndman-Fan type 7): with the
 * values sorted as {@code x[0..n-1]}, {@code q(p) = x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋])} where
 * {@code h = (n - 1)p}. Empty input gives count 0 and NaN elsewhere.
 */
public record Summary(int count, double mean, double median, double p90, double min, double max) {
  public static Summary of(Collection<Double> values) {
    double[] x = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (x.length == 0) {
      return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    return new Summary(
        x.length,
        Arrays.stream(x).sum() / x.length,
        quantile(x, 0.5),
        quantile(x, 0.9),
        x[0],
        x[x.length - 1]);
  }

  /** Type-7 quantile of sorted values. */
  public static double quantile(double[] sorted, double p) {
    if (p < 0 || p > 1) {
      throw new IllegalArgumentException("p must be in [0, 1] but was " + p);
    }
    double h = (sorted.length - 1) * p;
    int lo = (int) Math.floor(h);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  }
}

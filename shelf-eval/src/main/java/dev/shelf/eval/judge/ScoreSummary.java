package dev.shelf.eval.judge;

import dev.shelf.eval.metrics.Proportion;
import java.util.Collection;

/**
 * One model's judge scores: how many were graded, how many replies had no score (judge errors), the
 * exact mean and its 95% interval by the normal approximation, mean ± z·s/√n with s the sample
 * standard deviation (n - 1) and z = {@link Proportion#Z95}. Scores are bounded (1 to 10) and runs
 * have tens to thousands of items, where this is close enough; with fewer than two scores the
 * interval is undefined (NaN), and with no scores the mean is NaN too.
 */
public record ScoreSummary(int n, int errors, double mean, double low, double high) {
  public static ScoreSummary of(Collection<Integer> scores, int errors) {
    int n = scores.size();
    if (n == 0) {
      return new ScoreSummary(0, errors, Double.NaN, Double.NaN, Double.NaN);
    }
    long sum = 0;
    for (int s : scores) {
      sum += s;
    }
    double mean = (double) sum / n;
    if (n < 2) {
      return new ScoreSummary(n, errors, mean, Double.NaN, Double.NaN);
    }
    double squares = 0;
    for (int s : scores) {
      squares += (s - mean) * (s - mean);
    }
    double half = Proportion.Z95 * Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
    return new ScoreSummary(n, errors, mean, mean - half, mean + half);
  }
}

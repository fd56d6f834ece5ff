package dev.shelf.eval.metrics;

/**
 * A share {@code successes / total} with its 95% Wilson score interval:
 *
 * <pre>
 * p = x/n, z = 1.959963984540054 (the 97.5% normal quantile)
 * centre = (p + z²/2n) / (1 + z²/n)
 * half   = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
 * [low, high] = [centre - half, centre + half]
 * </pre>
 *
 * Wilson rather than the normal ("Wald") interval because it stays inside [0, 1] and is not
 * degenerate at 0% or 100%, which small evaluation sets hit. With {@code total == 0} the value is
 * NaN and the interval [0, 1].
 */
public record Proportion(long successes, long total, double value, double low, double high) {
  public static final double Z95 = 1.959963984540054;

  public static Proportion of(long successes, long total) {
    if (total < 0 || successes < 0 || successes > total) {
      throw new IllegalArgumentException(
          "need 0 <= successes <= total but had " + successes + " of " + total);
    }
    if (total == 0) {
      return new Proportion(0, 0, Double.NaN, 0, 1);
    }
    double n = total;
    double p = successes / n;
    double z2 = Z95 * Z95;
    double denom = 1 + z2 / n;
    double centre = (p + z2 / (2 * n)) / denom;
    double half = Z95 / denom * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    return new Proportion(
        successes, total, p, Math.max(0, centre - half), Math.min(1, centre + half));
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT, "%d/%d = %.4f [%.4f, %.4f]", successes, total, value, low, high);
  }
}

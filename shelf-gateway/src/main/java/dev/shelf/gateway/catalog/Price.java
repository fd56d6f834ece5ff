package dev.shelf.gateway.catalog;

import org.jspecify.annotations.Nullable;

/** List price per million tokens. */
public record Price(double input, double output, @Nullable Double cachedInput, String currency) {

  /** The cost of one request's usage, in {@link #currency}. */
  public double cost(int promptTokens, int completionTokens, int cachedTokens) {
    double cachedRate = cachedInput == null ? input : cachedInput;
    int uncached = Math.max(0, promptTokens - cachedTokens);
    return (uncached * input + cachedTokens * cachedRate + completionTokens * output) / 1e6;
  }

  /** A blended per-million figure for ranking by price (3:1 input to output, a common mix). */
  public double blended() {
    return (3 * input + output) / 4;
  }
}

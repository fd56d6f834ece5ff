package dev.shelf.eval.exec;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * A model's price per million tokens, as a Shelf's {@code /v1/models} lists it under {@code
 * pricing}; a run records it at start so its cost is fixed with the run.
 */
public record ModelPrice(double input, double output, String currency) {
  public ModelPrice {
    if (!(input >= 0) || !(output >= 0)) {
      throw new IllegalArgumentException(
          "prices must be >= 0 but were " + input + " and " + output);
    }
  }

  public BigDecimal cost(long inputTokens, long outputTokens) {
    return BigDecimal.valueOf(input)
        .multiply(BigDecimal.valueOf(inputTokens))
        .add(BigDecimal.valueOf(output).multiply(BigDecimal.valueOf(outputTokens)))
        .divide(BigDecimal.valueOf(1_000_000), MathContext.DECIMAL64)
        .stripTrailingZeros();
  }
}

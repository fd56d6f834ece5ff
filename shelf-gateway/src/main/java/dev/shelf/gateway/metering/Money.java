package dev.shelf.gateway.metering;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Amounts are kept as {@code long} nano-units of the billing currency (10^-9): exact sums, no
 * floating-point drift over millions of records, and room for 9.2 billion units.
 */
public final class Money {
  public static final long NANOS = 1_000_000_000L;

  private Money() {}

  /** Parses a decimal amount ("12.5") to nano-units; more than nine decimals is an error. */
  public static long parse(String amount) {
    BigDecimal d;
    try {
      d = new BigDecimal(amount.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("amount must be a decimal number but was " + amount, e);
    }
    if (d.signum() < 0) {
      throw new IllegalArgumentException("amount must be >= 0 but was " + amount);
    }
    return d.movePointRight(9).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
  }

  public static long of(double amount) {
    return Math.round(amount * NANOS);
  }

  public static BigDecimal decimal(long nanos) {
    return BigDecimal.valueOf(nanos, 9).stripTrailingZeros();
  }

  /** For messages: {@code 12.50 USD}, with up to six decimals for small amounts. */
  public static String format(long nanos, String currency) {
    BigDecimal d = BigDecimal.valueOf(nanos, 9);
    BigDecimal shown =
        d.abs().compareTo(BigDecimal.ONE) >= 0
            ? d.setScale(2, RoundingMode.HALF_UP)
            : d.setScale(6, RoundingMode.HALF_UP).stripTrailingZeros();
    return shown.toPlainString() + " " + currency;
  }
}

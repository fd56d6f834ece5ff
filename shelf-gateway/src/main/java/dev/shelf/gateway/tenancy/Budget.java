package dev.shelf.gateway.tenancy;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * A spending cap: {@code amount} in the billing currency's nano-units (10^-9) per period. Periods
 * are calendar periods in UTC: a daily budget resets at 00:00 UTC, a monthly one on the first.
 */
public record Budget(long amountNanos, Period period) {
  public Budget {
    if (amountNanos < 0) {
      throw new IllegalArgumentException("budget must be >= 0 but was " + amountNanos);
    }
  }

  public enum Period {
    DAY,
    MONTH,
    TOTAL;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Period parse(String s) {
      for (Period p : values()) {
        if (p.wire().equals(s)) {
          return p;
        }
      }
      throw new IllegalArgumentException("budget period must be day, month or total but was " + s);
    }

    /** The start of the period holding {@code at}, in epoch milliseconds (0 for total). */
    public long start(Instant at) {
      LocalDate d = at.atZone(ZoneOffset.UTC).toLocalDate();
      return switch (this) {
        case DAY -> d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        case MONTH -> d.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        case TOTAL -> 0L;
      };
    }

    /** The end of the period holding {@code at} (exclusive), in epoch milliseconds. */
    public long end(Instant at) {
      LocalDate d = at.atZone(ZoneOffset.UTC).toLocalDate();
      return switch (this) {
        case DAY -> d.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        case MONTH ->
            d.withDayOfMonth(1)
                .plusMonths(1)
                .atStartOfDay(ZoneOffset.UTC)
                .toInstant()
                .toEpochMilli();
        case TOTAL -> Long.MAX_VALUE;
      };
    }
  }
}

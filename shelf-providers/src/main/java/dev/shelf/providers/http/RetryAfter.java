package dev.shelf.providers.http;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.jspecify.annotations.Nullable;

/**
 * How long an upstream asks us to wait before trying again, in milliseconds, clamped to [0, one
 * day]; null when it does not say or says something unreadable.
 */
public final class RetryAfter {
  private static final double MAX_MILLIS = 86_400_000; // a day

  private RetryAfter() {}

  /**
   * {@code retry-after-ms} (milliseconds, as OpenAI and Azure send it) where present and readable,
   * else {@link #parse(String) retry-after}.
   */
  public static @Nullable Long millis(Headers headers) {
    String ms = headers.get("retry-after-ms");
    if (!ms.isEmpty()) {
      try {
        return clamp(Double.parseDouble(ms.trim()));
      } catch (NumberFormatException ignored) {
        // fall through to retry-after
      }
    }
    return parse(headers.get("retry-after"));
  }

  /** A {@code retry-after} value: seconds (fractions allowed) or an HTTP date. */
  public static @Nullable Long parse(String retryAfter) {
    String v = retryAfter.trim();
    if (v.isEmpty()) {
      return null;
    }
    try {
      return clamp(Double.parseDouble(v) * 1000);
    } catch (NumberFormatException e) {
      try {
        var when = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        return Math.max(0, Duration.between(ZonedDateTime.now(when.getZone()), when).toMillis());
      } catch (RuntimeException ignored) {
        return null;
      }
    }
  }

  private static @Nullable Long clamp(double millis) {
    if (Double.isNaN(millis)) {
      return null;
    }
    return (long) Math.max(0, Math.min(millis, MAX_MILLIS));
  }
}

package dev.shelf.eval.run;

import java.math.BigDecimal;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What one call cost and how fast it was, as the gateway measures it: total latency, time to the
 * first content token (null when the call was not streamed), token counts from the usage record and
 * the cost in the price's currency.
 */
public record Measurement(
    Duration latency,
    @Nullable Duration timeToFirstToken,
    long inputTokens,
    long outputTokens,
    BigDecimal cost) {
  public Measurement {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must be >= 0 but was " + latency);
    }
    if (timeToFirstToken != null
        && (timeToFirstToken.isNegative() || timeToFirstToken.compareTo(latency) > 0)) {
      throw new IllegalArgumentException(
          "timeToFirstToken must be between 0 and latency "
              + latency
              + " but was "
              + timeToFirstToken);
    }
    if (inputTokens < 0 || outputTokens < 0) {
      throw new IllegalArgumentException(
          "token counts must be >= 0 but were " + inputTokens + " and " + outputTokens);
    }
  }

  /**
   * Output tokens per second of generation: output tokens over the time after the first token
   * ({@code latency - timeToFirstToken}), as the public speed leaderboards define output speed;
   * over the whole latency when the call was not streamed. Null when that time is zero.
   */
  public @Nullable Double outputTokensPerSecond() {
    Duration generating = timeToFirstToken == null ? latency : latency.minus(timeToFirstToken);
    double seconds = generating.toNanos() / 1e9;
    return seconds > 0 ? outputTokens / seconds : null;
  }
}

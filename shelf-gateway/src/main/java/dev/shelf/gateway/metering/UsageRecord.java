package dev.shelf.gateway.metering;

import org.jspecify.annotations.Nullable;

/**
 * One request in the ledger. {@code costNanos} is in the billing currency's nano-units (10^-9),
 * computed from the price in force when the request was served; {@code estimated} marks usage
 * counted by Shelf because the upstream reported none.
 */
public record UsageRecord(
    String requestId,
    long atMs,
    String keyId,
    String teamId,
    String endpoint,
    String model,
    @Nullable String deployment,
    int promptTokens,
    int completionTokens,
    int cachedTokens,
    long costNanos,
    boolean estimated,
    int latencyMs,
    int ttftMs,
    int status,
    @Nullable String errorCode) {

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}

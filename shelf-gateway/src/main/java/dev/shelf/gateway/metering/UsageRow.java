package dev.shelf.gateway.metering;

/** One group of a usage report. */
public record UsageRow(
    String group,
    long requests,
    long errors,
    long promptTokens,
    long completionTokens,
    long cachedTokens,
    long costNanos) {}

package dev.shelf.api;

import org.jspecify.annotations.Nullable;

/**
 * Token usage of one request. {@code cachedTokens} is the part of the prompt served from a
 * provider's prompt cache; {@code reasoningTokens} the part of the completion spent thinking.
 */
public record Usage(
    int promptTokens,
    int completionTokens,
    @Nullable Integer cachedTokens,
    @Nullable Integer reasoningTokens) {

  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}

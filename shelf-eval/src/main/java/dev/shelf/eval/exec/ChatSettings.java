package dev.shelf.eval.exec;

import org.jspecify.annotations.Nullable;

/** Sampling settings sent with every call of a run; {@code seed} is omitted when null. */
public record ChatSettings(double temperature, int maxTokens, @Nullable Long seed) {
  public static final ChatSettings DEFAULT = new ChatSettings(0, 512, 1234L);

  public ChatSettings {
    if (!(temperature >= 0 && temperature <= 2)) {
      throw new IllegalArgumentException("temperature must be in [0, 2] but was " + temperature);
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("max_tokens must be >= 1 but was " + maxTokens);
    }
  }
}

package dev.shelf.eval.exec;

import org.jspecify.annotations.Nullable;

/**
 * Sampling settings sent with every call of a run; {@code seed} is omitted when null. {@code
 * scoring} is how answers are obtained: {@value #GENERATE} (the model writes an answer, which the
 * run's scorer reads) or {@value #LOGLIKELIHOOD} (multiple choice only: each choice is scored by
 * its log-likelihood after the prompt, see {@link LoglikelihoodAnswerer}). A run stored before
 * scoring existed reads as {@value #GENERATE}.
 */
public record ChatSettings(
    double temperature, int maxTokens, @Nullable Long seed, @Nullable String scoring) {
  public static final String GENERATE = "generate";
  public static final String LOGLIKELIHOOD = "loglikelihood";
  public static final ChatSettings DEFAULT = new ChatSettings(0, 512, 1234L);

  public ChatSettings {
    if (!(temperature >= 0 && temperature <= 2)) {
      throw new IllegalArgumentException("temperature must be in [0, 2] but was " + temperature);
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("max_tokens must be >= 1 but was " + maxTokens);
    }
    if (scoring == null) {
      scoring = GENERATE;
    }
    if (!scoring.equals(GENERATE) && !scoring.equals(LOGLIKELIHOOD)) {
      throw new IllegalArgumentException(
          "scoring must be " + GENERATE + " or " + LOGLIKELIHOOD + " but was " + scoring);
    }
  }

  /** Settings that generate answers. */
  public ChatSettings(double temperature, int maxTokens, @Nullable Long seed) {
    this(temperature, maxTokens, seed, GENERATE);
  }

  /** Whether choices are scored by log-likelihood rather than generated answers. */
  public boolean loglikelihood() {
    return LOGLIKELIHOOD.equals(scoring);
  }
}

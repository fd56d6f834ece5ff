package dev.shelf.engine.sampling;

/**
 * How to pick tokens: the settings of llama.cpp's sampler chain and OpenAI's penalties.
 *
 * @param temperature 0 (or less) is greedy; else the logits are divided by it before the draw
 * @param topK keep the k most likely tokens; 0 keeps all
 * @param topP keep the smallest set of most likely tokens whose probability reaches p (at least
 *     one); 1 keeps all
 * @param minP keep tokens at least {@code minP} times as likely as the most likely one; 0 keeps all
 * @param repetitionPenalty llama.cpp's {@code repeat_penalty}: the logit of every token among the
 *     last {@code penaltyLastN} is divided by it when positive, multiplied when negative; 1 is off
 * @param penaltyLastN the window of {@code repetitionPenalty} over prompt and output; -1 is all of
 *     them, 0 turns the penalty off
 * @param frequencyPenalty OpenAI's: subtracted once per earlier occurrence in the output
 * @param presencePenalty OpenAI's: subtracted once from every token already in the output
 * @param seed the draws' seed: the same seed, logits and settings give the same tokens
 */
public record SamplingParams(
    double temperature,
    int topK,
    double topP,
    double minP,
    double repetitionPenalty,
    int penaltyLastN,
    double frequencyPenalty,
    double presencePenalty,
    long seed) {

  /** llama.cpp's default {@code repeat_last_n}. */
  public static final int DEFAULT_PENALTY_LAST_N = 64;

  /** Greedy decoding, no penalties. */
  public static final SamplingParams GREEDY =
      new SamplingParams(0, 0, 1, 0, 1, DEFAULT_PENALTY_LAST_N, 0, 0, 0);

  /**
   * @throws IllegalArgumentException naming the setting and its value when one is out of range
   */
  public SamplingParams {
    check(temperature >= 0 && Double.isFinite(temperature), "temperature", temperature, ">= 0");
    check(topK >= 0, "top_k", topK, ">= 0");
    check(topP >= 0 && topP <= 1, "top_p", topP, "in [0, 1]");
    check(minP >= 0 && minP <= 1, "min_p", minP, "in [0, 1]");
    check(
        repetitionPenalty > 0 && Double.isFinite(repetitionPenalty),
        "repetition_penalty",
        repetitionPenalty,
        "> 0");
    check(penaltyLastN >= -1, "repeat_last_n", penaltyLastN, ">= -1");
    check(Double.isFinite(frequencyPenalty), "frequency_penalty", frequencyPenalty, "finite");
    check(Double.isFinite(presencePenalty), "presence_penalty", presencePenalty, "finite");
  }

  private static void check(boolean ok, String name, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(name + " must be " + expected + " but was " + value);
    }
  }

  /** Whether the pick is the most likely token after penalties (temperature 0 or top-k 1). */
  public boolean greedy() {
    return temperature <= 0 || topK == 1;
  }

  /** Whether any penalty changes the logits. */
  public boolean penalized() {
    return (repetitionPenalty != 1 && penaltyLastN != 0)
        || frequencyPenalty != 0
        || presencePenalty != 0;
  }
}

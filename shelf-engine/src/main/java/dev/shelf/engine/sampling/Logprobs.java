package dev.shelf.engine.sampling;

/**
 * Log-probabilities of tokens under a model's raw distribution: the log-softmax of the logits as
 * the model computed them, before any penalty, filter or temperature. That is what OpenAI reports
 * as {@code logprobs} (and what lm-evaluation-harness sums as a log-likelihood), so a token's value
 * does not depend on how it was sampled; it is computed as llama.cpp's {@code log_softmax} does
 * (the maximum in float, the sum of exponentials in double).
 *
 * <p>An instance holds one position's normaliser; it reads the logits it was made from, which must
 * not change after.
 */
public final class Logprobs {
  private final float[] logits;
  private final float max;
  private final double logSum;

  private Logprobs(float[] logits) {
    this.logits = logits;
    float m = Float.NEGATIVE_INFINITY;
    for (float l : logits) {
      m = Math.max(m, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - m);
    }
    this.max = m;
    this.logSum = Math.log(sum);
  }

  /** The distribution of one position's logits. */
  public static Logprobs of(float[] logits) {
    return new Logprobs(logits);
  }

  /** {@code log p(token)}. */
  public double of(int token) {
    return logits[token] - max - logSum;
  }

  /**
   * The {@code n} most likely tokens, most likely first (the lower id first on a tie); fewer when
   * the vocabulary is smaller.
   */
  public int[] top(int n) {
    return Sampler.topIds(logits, n);
  }

  /** Whether {@code token} has the highest logit (the lowest id on a tie): greedy would pick it. */
  public boolean isGreedy(int token) {
    return Sampler.argmax(logits) == token;
  }
}

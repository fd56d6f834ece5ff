package dev.shelf.providers.local;

import dev.shelf.engine.model.LlamaSequence;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Picks the next token: greedy at temperature 0, else temperature, then top-k and top-p over the
 * softmax, drawn from a generator seeded by the request's seed (same seed, same tokens).
 */
final class Sampler {
  private final double temperature;
  private final double topP;
  private final int topK;
  private final SplittableRandom random;

  private Sampler(double temperature, double topP, int topK, SplittableRandom random) {
    this.temperature = temperature;
    this.topP = topP;
    this.topK = topK;
    this.random = random;
  }

  /** OpenAI's defaults: temperature 1, top_p 1; top_k 0 (off); a random seed when none. */
  static Sampler of(
      @Nullable Double temperature,
      @Nullable Double topP,
      @Nullable Integer topK,
      @Nullable Long seed) {
    return new Sampler(
        temperature == null ? 1.0 : temperature,
        topP == null ? 1.0 : topP,
        topK == null ? 0 : topK,
        seed == null ? new SplittableRandom() : new SplittableRandom(seed));
  }

  boolean greedy() {
    return temperature <= 0 || topK == 1;
  }

  int sample(float[] logits) {
    if (greedy()) {
      return LlamaSequence.argmax(logits);
    }
    int n = logits.length;
    double maxLogit = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      maxLogit = Math.max(maxLogit, l);
    }
    double[] p = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp((logits[i] - maxLogit) / temperature);
      sum += p[i];
    }
    // Candidates by descending probability (lowest id first on a tie): key = inverted bits, id.
    long[] order = new long[n];
    for (int i = 0; i < n; i++) {
      int bits = Float.floatToIntBits((float) (p[i] / sum));
      order[i] = ((long) (Integer.MAX_VALUE - bits) << 32) | i;
    }
    Arrays.sort(order);
    int keep = topK > 0 ? Math.min(topK, n) : n;
    double mass = 0;
    int cut = 0;
    for (int j = 0; j < keep; j++) {
      mass += p[(int) order[j]];
      cut = j + 1;
      if (topP < 1.0 && mass / sum >= topP) {
        break;
      }
    }
    double r = random.nextDouble() * mass;
    double acc = 0;
    for (int j = 0; j < cut; j++) {
      int id = (int) order[j];
      acc += p[id];
      if (r < acc) {
        return id;
      }
    }
    return (int) order[cut - 1];
  }
}

package dev.shelf.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The filters and draw of {@link Sampler} as they were before {@link Truncation}: the whole
 * vocabulary sorted for every top-p, min-p or long top-k. Copied unchanged (penalties left out: the
 * filters never see them), the reference the differential test holds the sampler to.
 */
final class FullSortSampler {
  private final SamplingParams params;
  private final SplittableRandom random;

  FullSortSampler(SamplingParams params) {
    this.params = params;
    this.random = new SplittableRandom(params.seed());
  }

  /** The next token, as the sampler without penalties picks it. */
  int sample(float[] logits) {
    if (params.greedy()) {
      return Sampler.argmax(logits);
    }
    Truncation.Kept kept = keep(logits, params);
    return draw(logits, kept.ids(), kept.kept());
  }

  /** The candidates the filters keep: all of them, in id order, when no filter is on. */
  static Truncation.Kept keep(float[] logits, SamplingParams params) {
    int n = logits.length;
    int[] ids;
    int kept;
    boolean filter =
        (params.topK() > 0 && params.topK() < n) || params.topP() < 1 || params.minP() > 0;
    if (filter) {
      int k = params.topK();
      ids = k > 0 && k <= SELECT_MAX ? topIds(logits, k) : sortedIds(logits);
      kept = k > 0 ? Math.min(k, n) : n;
      kept = topP(logits, ids, kept, params.topP());
      kept = minP(logits, ids, kept, params.minP());
    } else {
      ids = new int[n];
      for (int i = 0; i < n; i++) {
        ids[i] = i;
      }
      kept = n;
    }
    return new Truncation.Kept(ids, kept);
  }

  static final int SELECT_MAX = 128;

  static int[] topIds(float[] logits, int k) {
    int size = Math.min(k, logits.length);
    int[] best = new int[size];
    int filled = 0;
    for (int id = 0; id < logits.length && size > 0; id++) {
      float l = logits[id];
      if (filled == size && !(l > logits[best[size - 1]])) {
        continue;
      }
      int at = filled < size ? filled++ : size - 1;
      while (at > 0 && l > logits[best[at - 1]]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = id;
    }
    return best;
  }

  static int[] sortedIds(float[] logits) {
    int n = logits.length;
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      int bits = Float.floatToIntBits(logits[i]);
      int ordered = bits < 0 ? ~bits : bits | Integer.MIN_VALUE;
      long descending = 0xFFFF_FFFFL - (ordered & 0xFFFF_FFFFL);
      keys[i] = (descending << 31) | i;
    }
    Arrays.sort(keys);
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = (int) (keys[i] & 0x7FFF_FFFFL);
    }
    return ids;
  }

  static int topP(float[] logits, int[] ids, int kept, double p) {
    if (p >= 1) {
      return kept;
    }
    double max = logits[ids[0]];
    double sum = 0;
    for (int i = 0; i < kept; i++) {
      sum += Math.exp(logits[ids[i]] - max);
    }
    double cumulative = 0;
    for (int i = 0; i < kept; i++) {
      cumulative += Math.exp(logits[ids[i]] - max) / sum;
      if (cumulative >= p) {
        return i + 1;
      }
    }
    return kept;
  }

  static int minP(float[] logits, int[] ids, int kept, double p) {
    if (p <= 0) {
      return kept;
    }
    float min = logits[ids[0]] + (float) Math.log(p);
    for (int i = 1; i < kept; i++) {
      if (logits[ids[i]] < min) {
        return i;
      }
    }
    return kept;
  }

  private int draw(float[] logits, int[] ids, int kept) {
    double t = params.temperature();
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < kept; i++) {
      max = Math.max(max, logits[ids[i]]);
    }
    double[] p = new double[kept];
    double sum = 0;
    for (int i = 0; i < kept; i++) {
      p[i] = Math.exp((logits[ids[i]] - max) / t);
      sum += p[i];
    }
    double r = random.nextDouble() * sum;
    double acc = 0;
    for (int i = 0; i < kept; i++) {
      acc += p[i];
      if (r < acc) {
        return ids[i];
      }
    }
    for (int i = kept - 1; i > 0; i--) {
      if (p[i] > 0) {
        return ids[i];
      }
    }
    return ids[0];
  }
}

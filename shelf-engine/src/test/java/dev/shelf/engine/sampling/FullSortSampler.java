package dev.shelf.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The filters of {@link Sampler} as they were before {@link Truncation}: the whole vocabulary
 * sorted (a frozen copy of the old sort, its own key included) for every top-p, min-p or long
 * top-k, then the sampler's own unchanged cuts ({@link Sampler#topP}, {@link Sampler#minP}) and
 * draw. Penalties are left out: the filters never see them. The reference the differential test
 * holds the sampler to.
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
    return Sampler.draw(logits, kept.ids(), kept.kept(), params.temperature(), random);
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
      ids = k > 0 && k <= Sampler.SELECT_MAX ? Sampler.topIds(logits, k) : sortedIds(logits);
      kept = k > 0 ? Math.min(k, n) : n;
      kept = Sampler.topP(logits, ids, kept, params.topP());
      kept = Sampler.minP(logits, ids, kept, params.minP());
    } else {
      ids = new int[n];
      for (int i = 0; i < n; i++) {
        ids[i] = i;
      }
      kept = n;
    }
    return new Truncation.Kept(ids, kept);
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
}

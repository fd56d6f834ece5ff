package dev.shelf.engine.sampling;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The candidates that top-k, top-p and min-p keep, found without sorting the whole vocabulary.
 *
 * <h2>What is computed</h2>
 *
 * The reference is the plain chain: sort every id by descending logit (the lower id first on a tie,
 * {@link Sampler#sortedIds}), keep the first {@code min(k, n)}, cut that list where the softmax at
 * temperature 1 (its denominator summed over the whole list in sorted order) first reaches p
 * ({@link Sampler#topP}), then cut it at the first logit below {@code max + ln(min_p)} ({@link
 * Sampler#minP}). {@link #keep} returns exactly that list and length (the same ids, the same order,
 * the same cut, for every input) while sorting only a short head of the vocabulary; a differential
 * test holds it to a copy of the plain chain.
 *
 * <h2>Why a head is enough</h2>
 *
 * Every filter keeps a prefix of the sorted list, and every prefix it keeps is a set of the form
 * {@code logit >= t}, closed under equal logits. So a pass that picks out the logits above a
 * threshold finds a prefix of the sorted order, and sorting just those gives that prefix exactly.
 * The thresholds come from a histogram of {@code max - logit} in buckets of an eighth of a logit
 * ({@link #bucket}, monotone in the logit, so each set of buckets from the top is a prefix):
 *
 * <ul>
 *   <li>top-k above {@link Sampler#SELECT_MAX} (shorter lists are selected in one pass): count the
 *       buckets, sort the buckets from the top until they hold k, and keep the first k. The top-p
 *       and min-p of the plain chain then run on that sorted list as they are.
 *   <li>min-p alone: sort the logits at least {@code max + ln(min_p)}.
 *   <li>top-p over the whole vocabulary: below.
 * </ul>
 *
 * <h2>Top-p, and the order of a sum</h2>
 *
 * Top-p needs the softmax's denominator, a sum over every token, and the plain chain adds its terms
 * in sorted order. A sum in id order (the one pass there is) can differ from it in the last bits,
 * and a cumulative probability that lands exactly on p (equal logits and a round p do that) could
 * then be cut one token apart. So the sum in id order is used only to bound the sorted one: both
 * are recursive sums of n non-negative terms, each within {@code (n-1)u/(1-(n-1)u)} of the exact
 * sum (u = 2^-53; Higham, Accuracy and Stability, section 4.2), which gives an interval [lo, hi]
 * holding the plain chain's denominator. Division and addition round monotonically, so at every
 * step the plain chain's cumulative probability lies between the one computed with hi and the one
 * computed with lo, and where both fall on the same side of p the plain chain's does too. Where
 * they do not (the cumulative is within about {@code 4nu} of p, in practice only on exact ties), or
 * where a logit is NaN or the maximum infinite, {@link #keep} falls back to the full sort, so the
 * answer is the plain chain's in every case. The same pass adds each bucket's share of the sum, and
 * the buckets from the top whose share reaches p are all that is sorted (those above min-p only,
 * when it cuts sooner).
 *
 * <p>What remains per token is one pass of {@code Math.exp} over the vocabulary (the plain chain
 * made it too) and a sort of the head, instead of a sort of every logit.
 */
final class Truncation {
  private Truncation() {}

  /** The kept candidates: the first {@code kept} of {@code ids}, most likely first. */
  record Kept(int[] ids, int kept) {}

  /** Buckets of the histogram; the last also holds everything further below the maximum. */
  static final int BUCKETS = 512;

  /** Buckets per unit of logit: the first 64 logits below the maximum are told apart. */
  static final float PER_LOGIT = 8;

  /**
   * The candidates after top-k ({@code topK} 0: off), top-p ({@code topP} 1: off) and min-p ({@code
   * minP} 0: off), as the plain chain keeps them.
   */
  static Kept keep(float[] logits, int topK, double topP, double minP) {
    if (topK > 0 && topK <= Sampler.SELECT_MAX) {
      int[] ids = Sampler.topIds(logits, topK);
      int kept = Sampler.topP(logits, ids, ids.length, topP);
      return new Kept(ids, Sampler.minP(logits, ids, kept, minP));
    }
    Kept fast = withoutFullSort(logits, topK, topP, minP);
    return fast != null ? fast : sorted(logits, topK, topP, minP);
  }

  /** The plain chain: every id sorted, then the cuts. */
  static Kept sorted(float[] logits, int topK, double topP, double minP) {
    int[] ids = Sampler.sortedIds(logits);
    int kept = topK > 0 ? Math.min(topK, ids.length) : ids.length;
    kept = Sampler.topP(logits, ids, kept, topP);
    return new Kept(ids, Sampler.minP(logits, ids, kept, minP));
  }

  /**
   * {@link #keep} for a top-k over {@link Sampler#SELECT_MAX} or off, sorting only a head; null
   * where the answer needs the full sort (a NaN or infinite maximum, or a cumulative probability
   * too close to p to tell which side the plain chain's sum puts it).
   */
  static @Nullable Kept withoutFullSort(float[] logits, int topK, double topP, double minP) {
    int n = logits.length;
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) {
      if (!(l <= max)) {
        if (Float.isNaN(l)) {
          return null;
        }
        max = l;
      }
    }
    if (!Float.isFinite(max)) {
      return null; // +inf, or nothing above -inf (or no logits): the plain chain's NaN arithmetic
    }
    if (topK > 0 && topK < n) {
      int[] ids = topSorted(logits, max, topK);
      int kept = Sampler.topP(logits, ids, topK, topP);
      return new Kept(ids, Sampler.minP(logits, ids, kept, minP));
    }
    // the plain chain's min-p threshold: its first candidate is a maximum (+0 before -0, which
    // give the same sum here)
    float floor = minP > 0 ? max + (float) Math.log(minP) : Float.NEGATIVE_INFINITY;
    if (topP >= 1) {
      int[] ids = sortedAtLeast(logits, floor);
      return new Kept(ids, ids.length);
    }
    return nucleus(logits, max, floor, topP);
  }

  /** The bucket of {@code logit}, at most {@code max}: monotone, equal logits share one. */
  static int bucket(float max, float logit) {
    float below = (max - logit) * PER_LOGIT; // +inf for -inf; +0 or -0 for the maximum
    return below < BUCKETS ? (int) below : BUCKETS - 1;
  }

  /** The first {@code k} (less than the vocabulary) of the sorted order. */
  private static int[] topSorted(float[] logits, float max, int k) {
    int[] count = new int[BUCKETS];
    for (float l : logits) {
      count[bucket(max, l)]++;
    }
    int last = 0;
    int size = count[0];
    while (size < k) {
      size += count[++last];
    }
    long[] keys = new long[size];
    int at = 0;
    for (int id = 0; id < logits.length; id++) {
      if (bucket(max, logits[id]) <= last) {
        keys[at++] = Sampler.sortKey(logits[id], id);
      }
    }
    return sortedIds(keys, k);
  }

  /** The sorted ids of every logit at least {@code floor}. */
  private static int[] sortedAtLeast(float[] logits, float floor) {
    int size = 0;
    for (float l : logits) {
      size += l < floor ? 0 : 1;
    }
    long[] keys = new long[size];
    int at = 0;
    for (int id = 0; id < logits.length; id++) {
      if (!(logits[id] < floor)) {
        keys[at++] = Sampler.sortKey(logits[id], id);
      }
    }
    return sortedIds(keys, size);
  }

  /** Sorts {@code keys} and returns the ids of the first {@code k}. */
  private static int[] sortedIds(long[] keys, int k) {
    Arrays.sort(keys);
    int[] ids = new int[k];
    for (int i = 0; i < k; i++) {
      ids[i] = Sampler.idOf(keys[i]);
    }
    return ids;
  }

  /**
   * Top-p (below 1) over the whole vocabulary, then min-p ({@code floor}); null where the sum's
   * rounding could move the cut (see the class notes).
   */
  private static @Nullable Kept nucleus(float[] logits, float max, float floor, double topP) {
    int n = logits.length;
    double top = max;
    double[] mass = new double[BUCKETS];
    int[] count = new int[BUCKETS];
    double sum = 0;
    int atLeastFloor = 0; // min-p's cut: the plain chain keeps no more than these
    for (float l : logits) {
      double x = Math.exp(l - top);
      sum += x;
      int b = bucket(max, l);
      mass[b] += x;
      count[b]++;
      atLeastFloor += l < floor ? 0 : 1;
    }
    // the head: buckets from the top until their share passes p (or min-p's cut), with room for
    // the rounding of these sums; a head too short is caught below and falls back
    double need = topP * sum * (1 + 0x1p-30);
    double share = 0;
    int size = 0;
    int last = 0;
    while (true) {
      share += mass[last];
      size += count[last];
      if (last == BUCKETS - 1 || share >= need || size >= atLeastFloor) {
        break;
      }
      last++;
    }
    long[] keys = new long[Math.min(size, atLeastFloor)];
    int at = 0;
    for (int id = 0; id < n; id++) {
      float l = logits[id];
      if (bucket(max, l) <= last && !(l < floor)) {
        keys[at++] = Sampler.sortKey(l, id);
      }
    }
    int[] ids = sortedIds(keys, keys.length);

    // the plain chain's denominator lies in [lo, hi]: both sums within (n-1)u/(1-(n-1)u) of the
    // exact one, with room for rounding lo and hi themselves
    double slack = (4.0 * n + 8) * 0x1p-53;
    double lo = sum * (1 - slack);
    double hi = sum * (1 + slack);
    double upper = 0; // the plain chain's cumulative probability is at most this
    double lower = 0; // and at least this
    for (int i = 0; i < ids.length; i++) {
      double x = Math.exp(logits[ids[i]] - top);
      upper += x / lo;
      lower += x / hi;
      if (i + 1 == atLeastFloor) {
        return new Kept(ids, i + 1); // min-p cuts here, unless top-p cut sooner (it did not)
      }
      if (upper >= topP) {
        return lower >= topP ? new Kept(ids, i + 1) : null;
      }
    }
    return null; // the head was too short for the rounding of its shares
  }
}

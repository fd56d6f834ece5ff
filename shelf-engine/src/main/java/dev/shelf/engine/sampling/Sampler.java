package dev.shelf.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks a sequence's next tokens from its logits, as llama.cpp's default sampler chain does.
 *
 * <h2>The chain, in llama.cpp's default order</h2>
 *
 * <pre>
 *   penalties     repetition (last N tokens of prompt and output), then frequency and presence (output)
 *   top-k         keep the k highest logits (0: all)
 *   top-p         keep the fewest highest whose softmax (at temperature 1) sums to at least p
 *   min-p         keep logits at least max + ln(min_p) (probability at least min_p times the best)
 *   temperature   divide the kept logits by t; at t = 0 keep only the highest (greedy)
 *   dist          draw from the softmax of what is kept, with the request's seeded generator
 * </pre>
 *
 * This is {@code common_sampler}'s default order ({@code penalties; dry; top_k; typ_p; top_p;
 * min_p; xtc; temperature; dist}) without the samplers Shelf does not offer (DRY, typical, XTC, all
 * off by default there). The filters see the logits before temperature, as in llama.cpp, so top-p
 * and min-p cut the same tokens at any temperature.
 *
 * <h2>Penalties</h2>
 *
 * {@code repetition_penalty} is llama.cpp's {@code repeat_penalty}: every distinct token among the
 * last {@code penaltyLastN} tokens (prompt and output together, as llama-server feeds the prompt to
 * its sampler) has its logit divided by the penalty when positive and multiplied when negative.
 * {@code frequency_penalty} and {@code presence_penalty} follow OpenAI's definition: {@code logit
 * -= count * frequency + (count > 0) * presence}, where count is how often the token was sampled
 * before in this output (the prompt does not count).
 *
 * <h2>Determinism</h2>
 *
 * The draws come from a {@link SplittableRandom} seeded with {@link SamplingParams#seed}, owned by
 * this sampler alone; the batched decode gives a sequence the same logits whatever runs beside it,
 * so the same seed and request give the same tokens under any load. Ties in the ordering go to the
 * lower token id; greedy is the highest logit with the lowest id on a tie (llama.cpp's argmax).
 *
 * <p>Not thread-safe: one sampler per sequence.
 */
public final class Sampler {
  private final SamplingParams params;
  private final SplittableRandom random;

  /** Prompt and output tokens, in order, for the repetition window. */
  private int[] history;

  private int historyLength;

  /** How often each token was sampled so far (lazily sized to the vocabulary). */
  private int[] counts = new int[0];

  /**
   * @param prompt the prompt's tokens, which the repetition penalty's window covers
   */
  public Sampler(SamplingParams params, int[] prompt) {
    this.params = params;
    this.random = new SplittableRandom(params.seed());
    this.history = Arrays.copyOf(prompt, Math.max(16, prompt.length + 16));
    this.historyLength = prompt.length;
  }

  public SamplingParams params() {
    return params;
  }

  /**
   * The next token for {@code logits} (not modified), which is then remembered as sampled for the
   * penalties of later calls.
   */
  public int sample(float[] logits) {
    int token = choose(params.penalized() ? penalize(logits) : logits);
    accept(token);
    return token;
  }

  private void accept(int token) {
    if (historyLength == history.length) {
      history = Arrays.copyOf(history, history.length * 2);
    }
    history[historyLength++] = token;
    if (counts.length <= token) {
      counts = Arrays.copyOf(counts, Math.max(token + 1, counts.length * 2));
    }
    counts[token]++;
  }

  /** A copy of {@code logits} with the penalties applied. */
  float[] penalize(float[] logits) {
    float[] out = logits.clone();
    double rep = params.repetitionPenalty();
    int lastN = params.penaltyLastN();
    if (rep != 1 && lastN != 0) {
      int from = lastN < 0 ? 0 : Math.max(0, historyLength - lastN);
      boolean[] seen = new boolean[out.length];
      for (int i = from; i < historyLength; i++) {
        int t = history[i];
        if (t >= 0 && t < out.length && !seen[t]) {
          seen[t] = true;
          out[t] = out[t] > 0 ? (float) (out[t] / rep) : (float) (out[t] * rep);
        }
      }
    }
    double freq = params.frequencyPenalty();
    double pres = params.presencePenalty();
    if (freq != 0 || pres != 0) {
      int n = Math.min(out.length, counts.length);
      for (int t = 0; t < n; t++) {
        int c = counts[t];
        if (c > 0) {
          out[t] = (float) (out[t] - c * freq - pres);
        }
      }
    }
    return out;
  }

  /** The chain after the penalties: the filters, then temperature and the draw. */
  private int choose(float[] logits) {
    if (params.greedy()) {
      return argmax(logits);
    }
    int n = logits.length;
    int[] ids;
    int kept;
    boolean filter =
        (params.topK() > 0 && params.topK() < n) || params.topP() < 1 || params.minP() > 0;
    if (filter) {
      Truncation.Kept candidates =
          Truncation.keep(logits, params.topK(), params.topP(), params.minP());
      ids = candidates.ids();
      kept = candidates.kept();
    } else {
      ids = new int[n];
      for (int i = 0; i < n; i++) {
        ids[i] = i;
      }
      kept = n;
    }
    return draw(logits, ids, kept, params.temperature(), random);
  }

  /**
   * Top-k lists up to this long are selected by insertion; longer ones, and top-p and min-p, are
   * found by {@link Truncation}, which sorts only the head of the vocabulary they keep.
   */
  static final int SELECT_MAX = 128;

  /**
   * The {@code k} highest logits' ids in the order of {@link #sortedIds} (descending, the lower id
   * first on a tie): its first {@code k}, in one pass over the logits; fewer when the vocabulary is
   * smaller.
   */
  static int[] topIds(float[] logits, int k) {
    int size = Math.min(k, logits.length);
    // by sortKey, so that +0 and -0, and NaN, fall in sortedIds's order too
    long[] best = new long[size];
    int filled = 0;
    for (int id = 0; id < logits.length && size > 0; id++) {
      long key = sortKey(logits[id], id);
      if (filled == size && key >= best[size - 1]) {
        continue;
      }
      int at = filled < size ? filled++ : size - 1;
      while (at > 0 && key < best[at - 1]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = key;
    }
    int[] ids = new int[size];
    for (int i = 0; i < size; i++) {
      ids[i] = idOf(best[i]);
    }
    return ids;
  }

  /**
   * The token ids by descending logit, the lower id first on a tie (and +0 before -0). The
   * reference order of the filters; {@link Truncation} finds the prefix they keep without it.
   */
  static int[] sortedIds(float[] logits) {
    int n = logits.length;
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      keys[i] = sortKey(logits[i], i);
    }
    Arrays.sort(keys);
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = idOf(keys[i]);
    }
    return ids;
  }

  /** A key whose ascending order is {@link #sortedIds}'s: the logit descending, then the id. */
  static long sortKey(float logit, int id) {
    // a float's bits ordered as the float (negatives flipped), inverted for descending order
    int bits = Float.floatToIntBits(logit);
    int ordered = bits < 0 ? ~bits : bits | Integer.MIN_VALUE;
    long descending = 0xFFFF_FFFFL - (ordered & 0xFFFF_FFFFL);
    return (descending << 31) | id; // 32 + 31 bits: never negative
  }

  /** The id in a {@link #sortKey}. */
  static int idOf(long key) {
    return (int) (key & 0x7FFF_FFFFL);
  }

  /** llama.cpp's top-p: the softmax at temperature 1 over the kept, cut once it reaches p. */
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

  /** llama.cpp's min-p on sorted candidates: logits below {@code max + ln(p)} are cut. */
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

  /**
   * Temperature {@code t}, then a draw with {@code random} from the softmax of the first {@code
   * kept} of {@code ids}.
   */
  static int draw(float[] logits, int[] ids, int kept, double t, SplittableRandom random) {
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
    // rounding left r at the very top: the last candidate with any probability
    for (int i = kept - 1; i > 0; i--) {
      if (p[i] > 0) {
        return ids[i];
      }
    }
    return ids[0];
  }

  /** The index of the largest value, the lowest on a tie (llama.cpp's greedy). */
  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }
}

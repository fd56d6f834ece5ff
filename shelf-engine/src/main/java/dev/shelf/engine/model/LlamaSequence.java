package dev.shelf.engine.model;

import dev.shelf.engine.tensor.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One sequence run through a {@link LlamaModel}: its KV cache and the scratch buffers of the
 * forward pass.
 *
 * <h2>The KV cache</h2>
 *
 * For every block, the keys (after RoPE) and the values of each position, rounded to half precision
 * and held as the floats those halves are (exact): the values as {@code values[block][pos *
 * kvLength + j]}, the keys transposed, {@code keys[block][j * contextLength + pos]}, so that the
 * scores of a run of positions are one vector per head dimension. Holding the halves as floats
 * doubles the cache's memory against llama.cpp's F16 cache but lets the Vector API read it without
 * conversions; the values, and so every result, are the same. It is allocated whole at construction
 * for {@link #contextLength()} positions, so a sequence never grows and memory is known up front; a
 * position at or beyond the context is refused. {@link #forward} at position {@code p} writes
 * position {@code p} and attends over {@code [0, p]}, so positions must be fed in order; feeding an
 * earlier position again forgets everything after it (how a caller rewinds to a shared prefix).
 *
 * <h2>Why half precision: llama.cpp's default</h2>
 *
 * llama.cpp keeps its KV cache in F16 by default ({@code -ctk f16 -ctv f16}) and, without flash
 * attention, computes {@code kq = mul_mat(K, q)} and {@code kqv = mul_mat(V, softmax(kq))} with the
 * F16 cache as the weights, which converts the other operand to F16 first: the queries and the
 * attention probabilities are rounded to half precision too. This class does the same three
 * roundings (keys and values when stored, queries before the scores, probabilities before the
 * weighted sum of values), and only with all three do the greedy continuations of the stories260K
 * fixture match llama.cpp's token for token (with a float cache, one continuation departs at its
 * 58th token, where the two best logits are 5e-5 apart). It also halves the cache's memory. The
 * sums themselves are in float, the softmax's denominator in double, as in ggml.
 *
 * <p>Not thread-safe: a sequence is driven by one thread at a time (the matrix products inside a
 * step may use several).
 */
public final class LlamaSequence {
  /**
   * The species of the attention kernels, this JVM's width ({@link Simd#vectorBits()}): constant,
   * so that the JIT compiles it to vector instructions. Each lane adds in the scalar code's order
   * (multiply, then add, as {@code x += a * b} rounds), so both give the same floats.
   */
  private static final VectorSpecies<Float> A =
      VectorSpecies.of(float.class, VectorShape.forBitSize(Simd.vectorBits()));

  private static final int A_LANES = A.length();

  private final LlamaModel model;
  private final LlamaConfig config;
  private final int contextLength;
  private final float[][] keys;
  private final float[][] values;
  private int length;

  LlamaSequence(LlamaModel model, int contextLength) {
    this.model = model;
    this.config = model.config;
    if (contextLength < 1) {
      throw new IllegalArgumentException("contextLength must be >= 1 but was " + contextLength);
    }
    int kvLength = config.kvLength();
    long perBlock = (long) contextLength * kvLength;
    if (perBlock > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "a context of "
              + contextLength
              + " positions needs "
              + perBlock
              + " floats of keys per block, more than an array holds");
    }
    this.contextLength = contextLength;
    int blocks = config.blockCount();
    this.keys = new float[blocks][(int) perBlock];
    this.values = new float[blocks][(int) perBlock];
  }

  public LlamaModel model() {
    return model;
  }

  /** The most positions this sequence holds. */
  public int contextLength() {
    return contextLength;
  }

  /** Positions in the KV cache: the next position to feed. */
  public int length() {
    return length;
  }

  /** Forgets every position. */
  public void reset() {
    length = 0;
  }

  /**
   * Takes the first {@code n} positions of {@code from}'s cache as this sequence's own and forgets
   * the rest: the values a prefill of those tokens would compute here (a position's keys and values
   * depend only on the tokens up to it), without computing them. {@code from} is only read, so
   * several sequences may copy from one at once while nothing feeds it.
   *
   * @throws IllegalArgumentException if {@code from} belongs to another model, or {@code n} is
   *     negative or beyond {@code from.length()} or this sequence's context
   */
  public void copyPrefix(LlamaSequence from, int n) {
    if (from.model != model) {
      throw new IllegalArgumentException("the sequence to copy belongs to another model");
    }
    if (n < 0 || n > from.length || n > contextLength) {
      throw new IllegalArgumentException(
          "cannot copy "
              + n
              + " positions from a sequence of "
              + from.length
              + " into one of context "
              + contextLength);
    }
    int kvLength = config.kvLength();
    for (int b = 0; b < keys.length; b++) {
      // keys are transposed (one run of positions per dimension), values one run per position
      for (int j = 0; j < kvLength; j++) {
        System.arraycopy(from.keys[b], j * from.contextLength, keys[b], j * contextLength, n);
      }
      System.arraycopy(from.values[b], 0, values[b], 0, n * kvLength);
    }
    length = n;
  }

  /**
   * Runs {@code token} at {@code position} and returns the logits of the next token (a fresh array
   * of {@code vocabSize} floats).
   *
   * @throws IllegalArgumentException if the token is outside the vocabulary, or the position is
   *     negative or skips positions ({@code position > length()})
   * @throws ContextOverflowException if {@code position >= contextLength()}
   */
  public float[] forward(int token, int position) {
    checkToken(token);
    checkNext(position);
    return LlamaBatch.run(
        model,
        new LlamaSequence[] {this},
        new int[] {token},
        new int[] {position},
        new boolean[] {true})[0];
  }

  /**
   * Runs {@code tokens} at positions {@code position, position + 1, ...} in batches (each pass over
   * the weights serves up to {@link LlamaBatch#MAX_ROWS} tokens) and returns the logits of the last
   * one. The results equal those of feeding the tokens one by one with {@link #forward}.
   *
   * @throws IllegalArgumentException if {@code tokens} is empty, a token is outside the vocabulary
   *     or the position skips positions
   * @throws ContextOverflowException if the last position is at or beyond the context
   */
  public float[] prefill(int[] tokens, int position) {
    float[][] all = forwardAll(tokens, position, false);
    return all[all.length - 1];
  }

  /**
   * As {@link #prefill}, returning the logits of every token when {@code everyToken} (for
   * perplexity), else only of the last (the array then holds one element).
   */
  public float[][] forwardAll(int[] tokens, int position, boolean everyToken) {
    if (tokens.length == 0) {
      throw new IllegalArgumentException("at least one token is needed");
    }
    for (int token : tokens) {
      checkToken(token);
    }
    checkNext(position);
    if (position + (long) tokens.length - 1 >= contextLength) {
      throw new ContextOverflowException(
          (int) Math.min(Integer.MAX_VALUE, position + (long) tokens.length - 1), contextLength);
    }
    float[][] out = new float[everyToken ? tokens.length : 1][];
    for (int from = 0; from < tokens.length; from += LlamaBatch.MAX_ROWS) {
      int n = Math.min(LlamaBatch.MAX_ROWS, tokens.length - from);
      LlamaSequence[] seqs = new LlamaSequence[n];
      int[] chunk = new int[n];
      int[] positions = new int[n];
      boolean[] want = new boolean[n];
      for (int i = 0; i < n; i++) {
        seqs[i] = this;
        chunk[i] = tokens[from + i];
        positions[i] = position + from + i;
        want[i] = everyToken || from + i == tokens.length - 1;
      }
      float[][] logits = LlamaBatch.run(model, seqs, chunk, positions, want);
      for (int i = 0; i < n; i++) {
        if (everyToken) {
          out[from + i] = logits[i];
        } else if (want[i]) {
          out[0] = logits[i];
        }
      }
    }
    return out;
  }

  /** Checks that {@code position} is inside the context and skips no position. */
  void checkNext(int position) {
    if (position >= contextLength) {
      throw new ContextOverflowException(position, contextLength);
    }
    if (position < 0 || position > length) {
      throw new IllegalArgumentException(
          "position must be in [0, " + length + "] (the next position) but was " + position);
    }
  }

  /** Checks a token id. */
  void checkToken(int token) {
    if (token < 0 || token >= config.vocabSize()) {
      throw new IllegalArgumentException(
          "token must be in [0, " + config.vocabSize() + ") but was " + token);
    }
  }

  /** Stores the key and value of {@code position} (rounded to halves) in block {@code block}. */
  void store(int block, int position, float[] k, float[] v) {
    int kvLength = k.length;
    float[] kc = keys[block];
    float[] vc = values[block];
    int at = position * kvLength;
    for (int i = 0; i < kvLength; i++) {
      kc[i * contextLength + position] = half(k[i]);
      vc[at + i] = half(v[i]);
    }
  }

  /** The position after a batch wrote {@code position}: the cache now ends there. */
  void advanceTo(int position) {
    length = position + 1;
  }

  /**
   * Head {@code h} of the attention at {@code position} over this sequence's cached positions
   * {@code [0, position]} in block {@code block}: {@code out[h * headSize, (h + 1) * headSize)}
   * from the (half-rounded) queries {@code q}; {@code scores} holds at least {@code position + 1}
   * floats of scratch.
   */
  void attend(int block, float[] q, int position, int h, float[] out, float[] scores) {
    int headSize = config.headSize();
    int kvLength = config.kvLength();
    float scale = (float) (1.0 / Math.sqrt(headSize));
    float[] kc = keys[block];
    float[] vc = values[block];
    int qOff = h * headSize;
    int kvOff = (h / config.groupSize()) * headSize;
    boolean vector = model.vectorAttention;
    // scores[t] = q . k_t, each a sum over the head's dimensions in order (per lane: a run of t)
    int t = 0;
    if (vector) {
      for (; t + A_LANES <= position + 1; t += A_LANES) {
        FloatVector dot = FloatVector.zero(A);
        for (int i = 0; i < headSize; i++) {
          FloatVector k = FloatVector.fromArray(A, kc, (kvOff + i) * contextLength + t);
          dot = dot.add(k.mul(q[qOff + i]));
        }
        dot.mul(scale).intoArray(scores, t);
      }
    }
    for (; t <= position; t++) {
      float dot = 0f;
      for (int i = 0; i < headSize; i++) {
        dot += q[qOff + i] * kc[(kvOff + i) * contextLength + t];
      }
      scores[t] = dot * scale;
    }
    float max = Float.NEGATIVE_INFINITY;
    for (t = 0; t <= position; t++) {
      max = Math.max(max, scores[t]);
    }
    double sum = 0;
    for (t = 0; t <= position; t++) {
      float e = (float) Math.exp(scores[t] - max);
      scores[t] = e;
      sum += e;
    }
    float inv = (float) (1.0 / sum);
    for (int i = 0; i < headSize; i++) {
      out[qOff + i] = 0f;
    }
    int bound = vector ? A.loopBound(headSize) : 0;
    for (t = 0; t <= position; t++) {
      // ggml converts the probabilities to the cache's type before the product with V.
      float p = half(scores[t] * inv);
      int base = t * kvLength + kvOff;
      for (int i = 0; i < bound; i += A_LANES) {
        FloatVector acc = FloatVector.fromArray(A, out, qOff + i);
        acc.add(FloatVector.fromArray(A, vc, base + i).mul(p)).intoArray(out, qOff + i);
      }
      for (int i = bound; i < headSize; i++) {
        out[qOff + i] += p * vc[base + i];
      }
    }
  }

  /**
   * Feeds {@code prompt} from position 0 (forgetting what came before) and then {@code n} tokens
   * chosen greedily (the highest logit, the lowest id on a tie), each fed back; returns the {@code
   * n} generated tokens. It does not stop at an end-of-generation token.
   *
   * @throws IllegalArgumentException if the prompt is empty or {@code n < 0}
   * @throws ContextOverflowException if prompt and generation need more than the context (checked
   *     before any work)
   */
  public int[] generate(int[] prompt, int n) {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("the prompt must hold at least one token");
    }
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0 but was " + n);
    }
    // The last generated token is never fed.
    long lastPosition = prompt.length - 1L + Math.max(0, n - 1);
    if (lastPosition >= contextLength) {
      throw new ContextOverflowException(
          (int) Math.min(Integer.MAX_VALUE, lastPosition), contextLength);
    }
    reset();
    float[] logits = prefill(prompt, 0);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = argmax(logits);
      if (i + 1 < n) {
        logits = forward(out[i], prompt.length + i);
      }
    }
    return out;
  }

  /** {@code f} rounded to the nearest half-precision value (ties to even), as ggml's F16. */
  static float half(float f) {
    return Float.float16ToFloat(Float.floatToFloat16(f));
  }

  /** The index of the largest value, the lowest on a tie (as llama.cpp's greedy sampler). */
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

package dev.shelf.engine.model;

import dev.shelf.engine.tensor.WeightMatrix;

/**
 * One sequence run through a {@link LlamaModel}: its KV cache and the scratch buffers of the
 * forward pass.
 *
 * <h2>The KV cache</h2>
 *
 * For every block, the keys (after RoPE) and the values of each position, in half precision (IEEE
 * binary16 bits in a {@code short}): {@code keys[block][pos * kvLength + j]}. It is allocated whole
 * at construction for {@link #contextLength()} positions, so a sequence never grows and memory is
 * known up front; a position at or beyond the context is refused. {@link #forward} at position
 * {@code p} writes position {@code p} and attends over {@code [0, p]}, so positions must be fed in
 * order; feeding an earlier position again forgets everything after it (how a caller rewinds to a
 * shared prefix).
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
  private final LlamaModel model;
  private final LlamaConfig config;
  private final int contextLength;
  private final short[][] keys;
  private final short[][] values;
  private final float[] ropeCos;
  private final float[] ropeSin;
  private int length;

  private final float[] x;
  private final float[] xb;
  private final float[] q;
  private final float[] k;
  private final float[] v;
  private final float[] attnOut;
  private final float[] proj;
  private final float[] gate;
  private final float[] up;
  private final float[] scores;

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
    this.keys = new short[blocks][(int) perBlock];
    this.values = new short[blocks][(int) perBlock];
    int dim = config.embeddingLength();
    int hidden = config.feedForwardLength();
    this.x = new float[dim];
    this.xb = new float[dim];
    this.q = new float[config.headCount() * config.headSize()];
    this.k = new float[kvLength];
    this.v = new float[kvLength];
    this.attnOut = new float[q.length];
    this.proj = new float[dim];
    this.gate = new float[hidden];
    this.up = new float[hidden];
    this.scores = new float[contextLength];
    this.ropeCos = new float[config.ropeDimensionCount() / 2];
    this.ropeSin = new float[ropeCos.length];
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
   * Runs {@code token} at {@code position} and returns the logits of the next token (a fresh array
   * of {@code vocabSize} floats).
   *
   * @throws IllegalArgumentException if the token is outside the vocabulary, or the position is
   *     negative or skips positions ({@code position > length()})
   * @throws ContextOverflowException if {@code position >= contextLength()}
   */
  public float[] forward(int token, int position) {
    if (token < 0 || token >= config.vocabSize()) {
      throw new IllegalArgumentException(
          "token must be in [0, " + config.vocabSize() + ") but was " + token);
    }
    if (position >= contextLength) {
      throw new ContextOverflowException(position, contextLength);
    }
    if (position < 0 || position > length) {
      throw new IllegalArgumentException(
          "position must be in [0, " + length + "] (the next position) but was " + position);
    }
    int dim = config.embeddingLength();
    int headSize = config.headSize();
    int kvLength = config.kvLength();
    int group = config.groupSize();
    float scale = (float) (1.0 / Math.sqrt(headSize));
    ropeAngles(position);

    model.tokenEmbedding.dequantizeRow(token, x);
    for (int b = 0; b < model.blocks.length; b++) {
      LlamaModel.Block block = model.blocks[b];
      model.rmsNorm(x, block.attnNorm(), xb);
      model.matvec(block.wq(), xb, q);
      model.matvec(block.wk(), xb, k);
      model.matvec(block.wv(), xb, v);
      rope(q, config.headCount(), headSize);
      rope(k, config.headCountKv(), headSize);
      short[] kc = keys[b];
      short[] vc = values[b];
      int at = position * kvLength;
      for (int i = 0; i < kvLength; i++) {
        kc[at + i] = Float.floatToFloat16(k[i]);
        vc[at + i] = Float.floatToFloat16(v[i]);
      }
      // ggml converts the queries to the cache's type before the product with the keys.
      for (int i = 0; i < q.length; i++) {
        q[i] = half(q[i]);
      }

      for (int h = 0; h < config.headCount(); h++) {
        int qOff = h * headSize;
        int kvOff = (h / group) * headSize;
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t <= position; t++) {
          int base = t * kvLength + kvOff;
          float dot = 0f;
          for (int i = 0; i < headSize; i++) {
            dot += q[qOff + i] * Float.float16ToFloat(kc[base + i]);
          }
          float s = dot * scale;
          scores[t] = s;
          max = Math.max(max, s);
        }
        double sum = 0;
        for (int t = 0; t <= position; t++) {
          float e = (float) Math.exp(scores[t] - max);
          scores[t] = e;
          sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < headSize; i++) {
          attnOut[qOff + i] = 0f;
        }
        for (int t = 0; t <= position; t++) {
          // ggml converts the probabilities to the cache's type before the product with V.
          float p = half(scores[t] * inv);
          int base = t * kvLength + kvOff;
          for (int i = 0; i < headSize; i++) {
            attnOut[qOff + i] += p * Float.float16ToFloat(vc[base + i]);
          }
        }
      }
      model.matvec(block.wo(), attnOut, proj);
      for (int i = 0; i < dim; i++) {
        x[i] += proj[i];
      }

      model.rmsNorm(x, block.ffnNorm(), xb);
      model.matvec(block.gate(), xb, gate);
      model.matvec(block.up(), xb, up);
      for (int i = 0; i < gate.length; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + (float) Math.exp(-g)) * up[i];
      }
      model.matvec(block.down(), gate, proj);
      for (int i = 0; i < dim; i++) {
        x[i] += proj[i];
      }
    }
    length = position + 1;
    model.rmsNorm(x, model.outputNorm, xb);
    WeightMatrix output = model.output;
    float[] logits = new float[output.rows()];
    model.matvec(output, xb, logits);
    return logits;
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
    float[] logits = new float[0];
    for (int i = 0; i < prompt.length; i++) {
      logits = forward(prompt[i], i);
    }
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
  private static float half(float f) {
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

  /**
   * The cos and sin of each pair's angle at {@code position}, as ggml's {@code rope_cache_init}
   * builds them: {@code theta = position}, multiplied by {@code base^(-2/ropeDims)} in float after
   * each pair.
   */
  private void ropeAngles(int position) {
    float thetaScale = (float) Math.pow(config.ropeFreqBase(), -2.0f / config.ropeDimensionCount());
    float theta = position;
    for (int i = 0; i < ropeCos.length; i++) {
      ropeCos[i] = (float) Math.cos(theta);
      ropeSin[i] = (float) Math.sin(theta);
      theta *= thetaScale;
    }
  }

  /** Rotates the pairs {@code (x[2i], x[2i+1])} of the first ropeDims of each head. */
  private void rope(float[] vec, int heads, int headSize) {
    for (int h = 0; h < heads; h++) {
      int off = h * headSize;
      for (int i = 0; i < ropeCos.length; i++) {
        float c = ropeCos[i];
        float s = ropeSin[i];
        float x0 = vec[off + 2 * i];
        float x1 = vec[off + 2 * i + 1];
        vec[off + 2 * i] = x0 * c - x1 * s;
        vec[off + 2 * i + 1] = x0 * s + x1 * c;
      }
    }
  }
}

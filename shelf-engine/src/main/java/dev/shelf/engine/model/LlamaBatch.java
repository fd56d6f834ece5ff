package dev.shelf.engine.model;

import dev.shelf.engine.tensor.WeightMatrix;
import org.jspecify.annotations.Nullable;

/**
 * One forward pass of several rows at once: row {@code i} runs {@code tokens[i]} at {@code
 * positions[i]} of {@code seqs[i]}. The rows may be the consecutive tokens of one prompt (prefill),
 * one token of each of several sequences (batched decode), or any mix, so long as the rows of a
 * sequence have consecutive positions starting at most at its length.
 *
 * <h2>Why batch</h2>
 *
 * A token's matrix products read every weight once; decoding one token is bound by how fast the
 * weights stream from memory. A batch reads each weight once for all its rows ({@link
 * WeightMatrix#matmul}), so its cost grows with the arithmetic, not the bytes: prefill and
 * concurrent sequences go many times faster per token.
 *
 * <h2>Order of work</h2>
 *
 * Per block: the norms and the Q, K, V products of every row; the architecture's biases and q/k
 * norms and RoPE, then every row's key and value stored in its sequence's cache (so a prompt's
 * later rows see its earlier ones); the attention of every (row, head) in parallel, each over its
 * own sequence's positions {@code [0, position]}; then the output projection and the FFN as batched
 * products. The arithmetic of a row does not depend on the other rows: {@code matmul} equals {@code
 * matvec} bit for bit, and attention reads only the row's own sequence, so a sequence's logits are
 * the same alone or in any batch.
 */
final class LlamaBatch {
  /** Rows per pass at most: longer prompts are fed in passes of this many. */
  static final int MAX_ROWS = 128;

  private LlamaBatch() {}

  /**
   * Runs the rows and returns the logits of those {@code want} marks (null for the others). Callers
   * have checked tokens and positions.
   */
  static float[][] run(
      LlamaModel model, LlamaSequence[] seqs, int[] tokens, int[] positions, boolean[] want) {
    return run(model, seqs, tokens, positions, want, false);
  }

  /**
   * As {@link #run(LlamaModel, LlamaSequence[], int[], int[], boolean[])}; with {@code states} it
   * returns the wanted rows' final hidden states after the output norm (what embeddings pool, as
   * llama.cpp's {@code t_embd}) and skips the output projection.
   */
  static float[][] run(
      LlamaModel model,
      LlamaSequence[] seqs,
      int[] tokens,
      int[] positions,
      boolean[] want,
      boolean states) {
    LlamaConfig config = model.config;
    int n = tokens.length;
    int dim = config.embeddingLength();
    int headSize = config.headSize();
    int heads = config.headCount();
    int kvHeads = config.headCountKv();
    int hidden = config.feedForwardLength();
    boolean neox = model.architecture.rope() == Architecture.Rope.NEOX;
    float[][] x = new float[n][dim];
    float[][] xb = new float[n][dim];
    float[][] q = new float[n][config.queryLength()];
    float[][] k = new float[n][config.kvLength()];
    float[][] v = new float[n][config.kvLength()];
    float[][] att = new float[n][config.queryLength()];
    float[][] proj = new float[n][dim];
    float[][] gate = new float[n][hidden];
    float[][] up = new float[n][hidden];
    float[][][] qkv = {q, k, v};
    float[][][] gateUp = {gate, up};
    float[][] cos = new float[n][config.ropeDimensionCount() / 2];
    float[][] sin = new float[n][cos[0].length];
    for (int i = 0; i < n; i++) {
      model.tokenEmbedding.dequantizeRow(tokens[i], x[i]);
      ropeAngles(config, positions[i], cos[i], sin[i]);
    }
    for (int b = 0; b < model.blocks.length; b++) {
      LlamaModel.Block block = model.blocks[b];
      rows(model, n, i -> model.rmsNorm(x[i], block.attnNorm(), xb[i]));
      model.multiply(new WeightMatrix[] {block.wq(), block.wk(), block.wv()}, xb, qkv);
      int blockIndex = b;
      rows(
          model,
          n,
          i -> {
            addBias(q[i], block.bq());
            addBias(k[i], block.bk());
            addBias(v[i], block.bv());
            headNorm(model, q[i], heads, block.qNorm());
            headNorm(model, k[i], kvHeads, block.kNorm());
            if (neox) {
              ropeNeox(q[i], heads, headSize, cos[i], sin[i]);
              ropeNeox(k[i], kvHeads, headSize, cos[i], sin[i]);
            } else {
              rope(q[i], heads, headSize, cos[i], sin[i]);
              rope(k[i], kvHeads, headSize, cos[i], sin[i]);
            }
            seqs[i].store(blockIndex, positions[i], k[i], v[i]);
            // ggml converts the queries to the cache's type before the product with the keys.
            for (int j = 0; j < q[i].length; j++) {
              q[i][j] = LlamaSequence.half(q[i][j]);
            }
          });
      // A few heads a piece, so a thread done early takes over some of another's heads.
      model.parallel.forRange(
          0,
          n * heads,
          Math.max(1, heads / 8),
          (from, to) -> {
            float[] scores = new float[maxPosition(positions) + 1];
            for (int t = from; t < to; t++) {
              int i = t / heads;
              seqs[i].attend(blockIndex, q[i], positions[i], t % heads, att[i], scores);
            }
          });
      model.multiply(block.wo(), att, proj);
      rows(
          model,
          n,
          i -> {
            add(x[i], proj[i]);
            model.rmsNorm(x[i], block.ffnNorm(), xb[i]);
          });
      model.multiply(new WeightMatrix[] {block.gate(), block.up()}, xb, gateUp);
      rows(
          model,
          n,
          i -> {
            float[] g = gate[i];
            float[] u = up[i];
            for (int j = 0; j < hidden; j++) {
              g[j] = g[j] / (1.0f + (float) Math.exp(-g[j])) * u[j];
            }
          });
      model.multiply(block.down(), gate, proj);
      for (int i = 0; i < n; i++) {
        add(x[i], proj[i]);
      }
    }
    for (int i = 0; i < n; i++) {
      seqs[i].advanceTo(positions[i]);
    }
    int wanted = 0;
    for (boolean w : want) {
      wanted += w ? 1 : 0;
    }
    float[][] normed = new float[wanted][];
    int[] rowOf = new int[wanted];
    for (int i = 0, j = 0; i < n; i++) {
      if (want[i]) {
        normed[j] = new float[dim];
        model.rmsNorm(x[i], model.outputNorm, normed[j]);
        rowOf[j++] = i;
      }
    }
    float[][] logits = normed;
    if (!states) {
      logits = new float[wanted][model.output.rows()];
      model.multiply(model.output, normed, logits);
    }
    float[][] out = new float[n][];
    for (int j = 0; j < wanted; j++) {
      out[rowOf[j]] = logits[j];
    }
    return out;
  }

  /** Runs {@code work} for every row, split across the model's threads when there are several. */
  private static void rows(LlamaModel model, int n, java.util.function.IntConsumer work) {
    if (n == 1) {
      work.accept(0);
      return;
    }
    model.parallel.forRange(
        0,
        n,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            work.accept(i);
          }
        });
  }

  private static int maxPosition(int[] positions) {
    int max = 0;
    for (int p : positions) {
      max = Math.max(max, p);
    }
    return max;
  }

  private static void add(float[] x, float[] y) {
    for (int i = 0; i < x.length; i++) {
      x[i] += y[i];
    }
  }

  /** {@code x += bias} when the architecture has the bias (ggml's {@code ggml_add}). */
  private static void addBias(float[] x, float @Nullable [] bias) {
    if (bias != null) {
      add(x, bias);
    }
  }

  /** The RMSNorm of each of {@code heads} heads of {@code x}, in place, when there is a weight. */
  private static void headNorm(LlamaModel model, float[] x, int heads, float @Nullable [] weight) {
    if (weight != null) {
      for (int h = 0; h < heads; h++) {
        model.rmsNorm(x, h * weight.length, weight, x);
      }
    }
  }

  /**
   * The cos and sin of each pair's angle at {@code position}, as ggml's {@code rope_cache_init}
   * builds them: {@code theta = position}, multiplied by {@code base^(-2/ropeDims)} in float after
   * each pair.
   */
  static void ropeAngles(LlamaConfig config, int position, float[] cos, float[] sin) {
    float thetaScale = (float) Math.pow(config.ropeFreqBase(), -2.0f / config.ropeDimensionCount());
    float theta = position;
    for (int i = 0; i < cos.length; i++) {
      cos[i] = (float) Math.cos(theta);
      sin[i] = (float) Math.sin(theta);
      theta *= thetaScale;
    }
  }

  /** Rotates the pairs {@code (x[2i], x[2i+1])} of the first ropeDims of each head (normal). */
  static void rope(float[] vec, int heads, int headSize, float[] cos, float[] sin) {
    for (int h = 0; h < heads; h++) {
      int off = h * headSize;
      for (int i = 0; i < cos.length; i++) {
        float c = cos[i];
        float s = sin[i];
        float x0 = vec[off + 2 * i];
        float x1 = vec[off + 2 * i + 1];
        vec[off + 2 * i] = x0 * c - x1 * s;
        vec[off + 2 * i + 1] = x0 * s + x1 * c;
      }
    }
  }

  /**
   * Rotates the pairs {@code (x[i], x[i + ropeDims/2])} of the first ropeDims of each head (NeoX,
   * as ggml's {@code rope_neox}: pair {@code i} takes the angle of pair {@code i} of {@link
   * #ropeAngles}).
   */
  static void ropeNeox(float[] vec, int heads, int headSize, float[] cos, float[] sin) {
    int half = cos.length;
    for (int h = 0; h < heads; h++) {
      int off = h * headSize;
      for (int i = 0; i < half; i++) {
        float c = cos[i];
        float s = sin[i];
        float x0 = vec[off + i];
        float x1 = vec[off + i + half];
        vec[off + i] = x0 * c - x1 * s;
        vec[off + i + half] = x0 * s + x1 * c;
      }
    }
  }
}

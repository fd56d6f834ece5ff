package dev.shelf.engine.model;

import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufTensorInfo;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tensor.WeightMatrix;
import java.util.Arrays;

/**
 * The {@code llama} architecture (Llama 2 and 3, Mistral, TinyLlama, SmolLM, llama2.c exports): the
 * weights of an open GGUF file, viewed in place, and the forward pass of one token.
 *
 * <h2>The graph, as llama.cpp's {@code llm_build_llama} computes it</h2>
 *
 * <pre>
 *   x = token_embd[token]
 *   for each block:
 *     h = rms_norm(x) * attn_norm
 *     q, k, v = attn_q h, attn_k h, attn_v h; rope(q), rope(k) at the position
 *     x += attn_output (softmax(q k^T / sqrt(head size)) v), per head, over positions 0..pos
 *     h = rms_norm(x) * ffn_norm
 *     x += ffn_down (silu(ffn_gate h) * ffn_up h)
 *   logits = output (rms_norm(x) * output_norm)        (output is token_embd when absent: tied)
 * </pre>
 *
 * <h2>Layouts the file implies</h2>
 *
 * A GGUF matrix of dims {@code [ne0, ne1]} is {@code ne1} rows of {@code ne0}: {@code attn_q} of
 * dims {@code [embedding, heads * headSize]} is the matrix that maps the residual to the queries,
 * used as is by {@link WeightMatrix#matvec}. The converters (Hugging Face's and llama2.c's) permute
 * the rows of {@code attn_q} and {@code attn_k} so that the two halves of a rotated pair lie next
 * to each other: ggml's RoPE for {@code llama} is the "normal" mode, which rotates consecutive
 * pairs {@code (x[2i], x[2i+1])} of each head by {@code pos * base^(-2i/ropeDims)}. So no
 * permutation happens here; reading the file's rows as they are is right.
 *
 * <p>Instances are immutable and thread-safe; the state of a sequence lives in a {@link
 * LlamaSequence}, one per sequence. The model must not outlive its {@link GgufFile}.
 */
public class LlamaModel {
  /** Matrices with fewer elements than this run on the calling thread only. */
  private static final long PARALLEL_MIN_ELEMENTS = 1L << 16;

  final LlamaConfig config;
  final WeightMatrix tokenEmbedding;
  final WeightMatrix output;
  final float[] outputNorm;
  final Block[] blocks;
  final Parallel parallel;

  /** Whether attention runs its vector loops (as the weights' kernels do) or the scalar twin. */
  final boolean vectorAttention;

  /** The weights of one transformer block. */
  record Block(
      float[] attnNorm,
      WeightMatrix wq,
      WeightMatrix wk,
      WeightMatrix wv,
      WeightMatrix wo,
      float[] ffnNorm,
      WeightMatrix gate,
      WeightMatrix up,
      WeightMatrix down) {}

  /**
   * Views the weights of {@code file} with the default kernels and the shared thread pool.
   *
   * @throws GgufException naming the file and the key or tensor when the file is not a {@code
   *     llama} model of consistent shapes
   */
  public static LlamaModel load(GgufFile file) {
    return load(file, Simd.defaults(), Parallel.shared());
  }

  /** Views the weights of {@code file} with the given kernels and threads. */
  public static LlamaModel load(GgufFile file, Simd simd, Parallel parallel) {
    LlamaConfig config = LlamaConfig.fromGguf(file);
    if (!config.architecture().equals("llama")) {
      throw new GgufException(
          file.source()
              + ": general.architecture is '"
              + config.architecture()
              + "', expected 'llama'");
    }
    return new LlamaModel(file, config, simd, parallel);
  }

  protected LlamaModel(GgufFile file, LlamaConfig config, Simd simd, Parallel parallel) {
    this.config = config;
    this.parallel = parallel;
    this.vectorAttention = simd.isVector();
    int dim = config.embeddingLength();
    int qLength = config.headCount() * config.headSize();
    int kvLength = config.kvLength();
    int hidden = config.feedForwardLength();
    this.tokenEmbedding = matrix(file, "token_embd.weight", config.vocabSize(), dim, simd);
    this.output =
        file.findTensor("output.weight") == null
            ? tokenEmbedding
            : matrix(file, "output.weight", config.vocabSize(), dim, simd);
    this.outputNorm = vector(file, "output_norm.weight", dim);
    this.blocks = new Block[config.blockCount()];
    for (int b = 0; b < blocks.length; b++) {
      String p = "blk." + b + ".";
      blocks[b] =
          new Block(
              vector(file, p + "attn_norm.weight", dim),
              matrix(file, p + "attn_q.weight", qLength, dim, simd),
              matrix(file, p + "attn_k.weight", kvLength, dim, simd),
              matrix(file, p + "attn_v.weight", kvLength, dim, simd),
              matrix(file, p + "attn_output.weight", dim, qLength, simd),
              vector(file, p + "ffn_norm.weight", dim),
              matrix(file, p + "ffn_gate.weight", hidden, dim, simd),
              matrix(file, p + "ffn_up.weight", hidden, dim, simd),
              matrix(file, p + "ffn_down.weight", dim, hidden, simd));
    }
  }

  public LlamaConfig config() {
    return config;
  }

  /** A new sequence whose context is the file's {@code context_length}. */
  public LlamaSequence newSequence() {
    return newSequence(config.contextLength());
  }

  /**
   * A new sequence of at most {@code contextLength} positions (llama.cpp's {@code -c}; it may
   * exceed the training context, as llama.cpp allows). Its KV cache is allocated at once: {@code 2
   * * blocks * contextLength * kvLength} floats.
   *
   * @throws IllegalArgumentException if {@code contextLength < 1} or the cache would not fit in an
   *     array
   */
  public LlamaSequence newSequence(int contextLength) {
    return new LlamaSequence(this, contextLength);
  }

  /**
   * Runs one token for each of several sequences in one pass over the weights (batched decode):
   * {@code tokens[i]} at position {@code seqs[i].length()}, returning each sequence's logits. Each
   * sequence's logits are those {@link LlamaSequence#forward} would give it alone.
   *
   * @throws IllegalArgumentException if the arrays differ in length, a sequence appears twice or
   *     belongs to another model, or a token is outside the vocabulary
   * @throws ContextOverflowException if a sequence is full
   */
  public float[][] step(LlamaSequence[] seqs, int[] tokens) {
    if (seqs.length != tokens.length || seqs.length == 0) {
      throw new IllegalArgumentException(
          "step needs one token per sequence, at least one, but got "
              + seqs.length
              + " sequences and "
              + tokens.length
              + " tokens");
    }
    int[] positions = new int[seqs.length];
    boolean[] want = new boolean[seqs.length];
    java.util.Set<LlamaSequence> seen =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (int i = 0; i < seqs.length; i++) {
      LlamaSequence seq = seqs[i];
      if (seq.model() != this) {
        throw new IllegalArgumentException("sequence " + i + " belongs to another model");
      }
      if (!seen.add(seq)) {
        throw new IllegalArgumentException("sequence " + i + " appears twice in one step");
      }
      seq.checkToken(tokens[i]);
      positions[i] = seq.length();
      seq.checkNext(positions[i]);
      want[i] = true;
    }
    return LlamaBatch.run(this, seqs, tokens, positions, want);
  }

  /**
   * {@code outs[i] = m xs[i]} for every row: a plain product for one row, one pass over the weights
   * for several; split across threads when the matrix is big enough to gain from it.
   */
  final void multiply(WeightMatrix m, float[][] xs, float[][] outs) {
    boolean split = (long) m.rows() * m.cols() >= PARALLEL_MIN_ELEMENTS && parallel.threads() > 1;
    if (xs.length == 1) {
      if (split) {
        m.matvec(xs[0], outs[0], parallel);
      } else {
        m.matvec(xs[0], outs[0], 0, m.rows());
      }
    } else if (xs.length > 1) {
      if (split) {
        m.matmul(xs, outs, parallel);
      } else {
        m.matmul(xs, outs, 0, m.rows());
      }
    }
  }

  /**
   * {@code out = rms_norm(x) * weight} as ggml computes it: the mean square summed in double, the
   * scale {@code 1 / sqrtf(mean + eps)} in float, applied before the weight.
   */
  final void rmsNorm(float[] x, float[] weight, float[] out) {
    int n = weight.length;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += (double) (x[i] * x[i]);
    }
    float mean = (float) (sum / n);
    float scale = 1.0f / (float) Math.sqrt(mean + config.rmsEpsilon());
    for (int i = 0; i < n; i++) {
      out[i] = (x[i] * scale) * weight[i];
    }
  }

  private static WeightMatrix matrix(GgufFile file, String name, int rows, int cols, Simd simd) {
    GgufTensorInfo t = file.tensor(name);
    if (t.rank() != 2 || t.dim(0) != cols || t.dim(1) != rows) {
      throw new GgufException(
          file.source()
              + ": tensor '"
              + name
              + "' has dims "
              + Arrays.toString(t.dims())
              + ", expected ["
              + cols
              + ", "
              + rows
              + "]");
    }
    try {
      return WeightMatrix.of(t.type(), file.tensorData(t), rows, cols, simd);
    } catch (IllegalArgumentException e) {
      throw new GgufException(file.source() + ": tensor '" + name + "': " + e.getMessage(), e);
    }
  }

  private static float[] vector(GgufFile file, String name, int length) {
    GgufTensorInfo t = file.tensor(name);
    if (t.elementCount() != length || t.dim(0) != length) {
      throw new GgufException(
          file.source()
              + ": tensor '"
              + name
              + "' has dims "
              + Arrays.toString(t.dims())
              + ", expected ["
              + length
              + "]");
    }
    float[] out = new float[length];
    try {
      WeightMatrix.of(t.type(), file.tensorData(t), 1, length, Simd.SCALAR).dequantizeRow(0, out);
    } catch (IllegalArgumentException e) {
      throw new GgufException(file.source() + ": tensor '" + name + "': " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "LlamaModel" + config + " (" + tokenEmbedding.simd() + ", " + parallel + ")";
  }
}

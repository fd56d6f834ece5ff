package dev.shelf.engine.model;

import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufTensorInfo;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tensor.WeightMatrix;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A decoder of the llama family: the weights of an open GGUF file, viewed in place, and the forward
 * pass. The file's {@code general.architecture} picks an {@link Architecture} from {@link
 * Architectures#known()} ({@code llama}, {@code qwen2}, {@code qwen3}); what differs between them
 * is a flag of that description, applied where the graph below marks it.
 *
 * <h2>The graph, as llama.cpp's {@code llm_build_llama}, {@code llm_build_qwen2} and {@code
 * llm_build_qwen3} compute it</h2>
 *
 * <pre>
 *   x = token_embd[token]
 *   for each block:
 *     h = rms_norm(x) * attn_norm
 *     q, k, v = attn_q h, attn_k h, attn_v h
 *       (+ attn_q.bias, attn_k.bias, attn_v.bias             when attentionBias: qwen2)
 *       (q, k = rms_norm(each head) * attn_q_norm, attn_k_norm when qkNorm: qwen3)
 *     rope(q), rope(k) at the position                       (normal or NeoX pairs: rope())
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
 * used as is by {@link WeightMatrix#matvec}. For {@code llama} the converters (Hugging Face's and
 * llama2.c's) permute the rows of {@code attn_q} and {@code attn_k} so that the two halves of a
 * rotated pair lie next to each other: ggml's RoPE for {@code llama} is the "normal" mode, which
 * rotates consecutive pairs {@code (x[2i], x[2i+1])} of each head by {@code pos *
 * base^(-2i/ropeDims)}. For {@code qwen2} and {@code qwen3} they do not permute, and ggml rotates
 * {@code (x[i], x[i + ropeDims/2])} instead (NeoX mode). So no permutation happens here; reading
 * the file's rows as they are is right, with the architecture's pairing.
 *
 * <p>Instances are immutable and thread-safe; the state of a sequence lives in a {@link
 * LlamaSequence}, one per sequence. The model must not outlive its {@link GgufFile}.
 */
public class LlamaModel {
  /** Matrices with fewer elements than this run on the calling thread only. */
  private static final long PARALLEL_MIN_ELEMENTS = 1L << 16;

  final LlamaConfig config;
  final Architecture architecture;
  final WeightMatrix tokenEmbedding;
  final WeightMatrix output;
  final float[] outputNorm;
  final Block[] blocks;
  final Parallel parallel;

  /** Whether attention runs its vector loops (as the weights' kernels do) or the scalar twin. */
  final boolean vectorAttention;

  /**
   * The weights of one transformer block; the biases and q/k norms are null unless the architecture
   * has them.
   */
  record Block(
      float[] attnNorm,
      WeightMatrix wq,
      WeightMatrix wk,
      WeightMatrix wv,
      float @Nullable [] bq,
      float @Nullable [] bk,
      float @Nullable [] bv,
      float @Nullable [] qNorm,
      float @Nullable [] kNorm,
      WeightMatrix wo,
      float[] ffnNorm,
      WeightMatrix gate,
      WeightMatrix up,
      WeightMatrix down) {}

  /**
   * Views the weights of {@code file} with the default kernels and the shared thread pool.
   *
   * @throws GgufException naming the file and the key or tensor when the file is not a model of a
   *     known architecture ({@link Architectures#known()}) with consistent shapes and every tensor
   *     that architecture needs; an unknown architecture is named with the known ones
   */
  public static LlamaModel load(GgufFile file) {
    return load(file, Simd.defaults(), Parallel.shared());
  }

  /**
   * The bytes a model of {@code file} decodes at load beside the mapped file, with the default
   * kernels ({@link WeightMatrix#decodedBytes}): every matrix's, but an untied token embedding's;
   * nothing for the scalar twin.
   */
  public static long decodedBytes(GgufFile file) {
    if (!Simd.defaults().isVector()) {
      return 0;
    }
    boolean tied = tied(file);
    long bytes = 0;
    for (GgufTensorInfo t : file.tensors()) {
      if (t.rank() == 2 && (tied || !t.name().equals("token_embd.weight"))) {
        bytes += WeightMatrix.decodedBytes(t.type(), t.elementCount());
      }
    }
    return bytes;
  }

  private static boolean tied(GgufFile file) {
    return file.findTensor("output.weight") == null;
  }

  /** Views the weights of {@code file} with the given kernels and threads. */
  public static LlamaModel load(GgufFile file, Simd simd, Parallel parallel) {
    Architecture architecture = Architectures.of(file);
    LlamaConfig config = LlamaConfig.fromGguf(file);
    return new LlamaModel(file, architecture, config, simd, parallel);
  }

  protected LlamaModel(
      GgufFile file, Architecture architecture, LlamaConfig config, Simd simd, Parallel parallel) {
    this.config = config;
    this.architecture = architecture;
    this.parallel = parallel;
    this.vectorAttention = simd.isVector();
    int dim = config.embeddingLength();
    int qLength = config.queryLength();
    int kvLength = config.kvLength();
    int headSize = config.headSize();
    int hidden = config.feedForwardLength();
    boolean tied = tied(file);
    // Untied, the embedding is only read a row at a time (the scalar decoding): its vector kernels
    // would never run, and the K-quants would decode scales for them at load for nothing.
    this.tokenEmbedding =
        matrix(file, "token_embd.weight", config.vocabSize(), dim, tied ? simd : Simd.SCALAR);
    this.output =
        tied && architecture.outputMayBeTied()
            ? tokenEmbedding
            : matrix(file, "output.weight", config.vocabSize(), dim, simd);
    this.outputNorm = vector(file, "output_norm.weight", dim);
    this.blocks = new Block[config.blockCount()];
    boolean bias = architecture.attentionBias();
    boolean qkNorm = architecture.qkNorm();
    for (int b = 0; b < blocks.length; b++) {
      String p = "blk." + b + ".";
      blocks[b] =
          new Block(
              vector(file, p + "attn_norm.weight", dim),
              matrix(file, p + "attn_q.weight", qLength, dim, simd),
              matrix(file, p + "attn_k.weight", kvLength, dim, simd),
              matrix(file, p + "attn_v.weight", kvLength, dim, simd),
              bias ? required(file, p + "attn_q.bias", qLength, "attention biases") : null,
              bias ? required(file, p + "attn_k.bias", kvLength, "attention biases") : null,
              bias ? required(file, p + "attn_v.bias", kvLength, "attention biases") : null,
              qkNorm ? required(file, p + "attn_q_norm.weight", headSize, "q/k norms") : null,
              qkNorm ? required(file, p + "attn_k_norm.weight", headSize, "q/k norms") : null,
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

  /** The architecture the file names, whose graph this model runs. */
  public Architecture architecture() {
    return architecture;
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
   * Runs a few tokens through every path a request takes and throws the results away: a batched
   * prefill (whole tiles of inputs and a remainder), single-token steps, and steps of two sequences
   * together. Until the JIT has compiled the kernels, the first request after a JVM starts runs
   * several times slower (seconds on a 1B model, most of it in the first prefill and the first
   * step); a server that loads a model before its first request calls this to pay that cost at load
   * instead. It costs about what it saves. Nothing of the model changes; the two sequences are
   * garbage after.
   */
  public void warmUp() {
    int context = Math.min(16, config.contextLength());
    int[] prompt = new int[Math.max(1, Math.min(7, context - 4))];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = (int) ((1 + 7919L * i) % config.vocabSize());
    }
    LlamaSequence a = newSequence(context);
    LlamaSequence b = newSequence(context);
    float[] la = a.prefill(prompt, 0);
    float[] lb = b.prefill(Arrays.copyOf(prompt, Math.min(3, prompt.length)), 0);
    for (int i = 0; i < 2 && a.length() < context; i++) {
      la = a.forward(LlamaSequence.argmax(la), a.length());
    }
    for (int i = 0; i < 2 && a.length() < context; i++) {
      float[][] l =
          step(
              new LlamaSequence[] {a, b},
              new int[] {LlamaSequence.argmax(la), LlamaSequence.argmax(lb)});
      la = l[0];
      lb = l[1];
    }
  }

  /** The bytes of KV cache a sequence of {@code contextLength} positions allocates. */
  public long kvBytes(int contextLength) {
    return 2L * config.blockCount() * contextLength * config.kvLength() * Float.BYTES;
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
   * {@code outs[j][i] = ms[j] xs[i]} for every matrix {@code j} (all of {@code xs}'s width): as
   * {@link #multiply(WeightMatrix, float[][], float[][])} on each in turn, the same floats, but the
   * matrices' rows split across the threads as one range, so that they wait for each other once
   * instead of once per matrix. A decoded token waited about fifteen microseconds per split (a
   * layer's {@code q}, {@code k}, {@code v} and {@code gate}, {@code up} take two splits, not
   * five).
   */
  final void multiply(WeightMatrix[] ms, float[][] xs, float[][][] outs) {
    long elements = 0;
    int rows = 0;
    for (WeightMatrix m : ms) {
      elements += (long) m.rows() * m.cols();
      rows += m.rows();
    }
    if (elements < PARALLEL_MIN_ELEMENTS || parallel.threads() == 1 || xs.length == 0) {
      for (int j = 0; j < ms.length; j++) {
        multiply(ms[j], xs, outs[j]);
      }
      return;
    }
    int grain = Integer.MAX_VALUE;
    if (xs.length == 1) {
      for (WeightMatrix m : ms) {
        grain = Math.min(grain, m.pieceRows());
      }
    }
    parallel.forRange(
        0,
        rows,
        grain,
        (start, end) -> {
          int base = 0;
          for (int j = 0; j < ms.length; j++) {
            WeightMatrix m = ms[j];
            int from = Math.max(start, base) - base;
            int to = Math.min(end, base + m.rows()) - base;
            if (from < to) {
              if (xs.length == 1) {
                m.matvec(xs[0], outs[j][0], from, to);
              } else {
                m.matmul(xs, outs[j], from, to);
              }
            }
            base += m.rows();
          }
        });
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
    rmsNorm(x, 0, weight, out);
  }

  /**
   * {@link #rmsNorm} of the {@code weight.length} elements of {@code x} from {@code offset}, into
   * the same places of {@code out} (which may be {@code x}): one head of a qk-norm.
   */
  final void rmsNorm(float[] x, int offset, float[] weight, float[] out) {
    int n = weight.length;
    double sum = 0;
    for (int i = offset; i < offset + n; i++) {
      sum += (double) (x[i] * x[i]);
    }
    float mean = (float) (sum / n);
    float scale = 1.0f / (float) Math.sqrt(mean + config.rmsEpsilon());
    for (int i = 0; i < n; i++) {
      out[offset + i] = (x[offset + i] * scale) * weight[i];
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

  /**
   * {@link #vector}, with a message that says why the architecture needs the tensor when the file
   * lacks it.
   */
  private float[] required(GgufFile file, String name, int length, String what) {
    if (file.findTensor(name) == null) {
      throw new GgufException(
          file.source()
              + ": tensor '"
              + name
              + "' is missing ("
              + architecture.name()
              + " models have "
              + what
              + ")");
    }
    return vector(file, name, length);
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
    return "LlamaModel" + config + " (" + output.simd() + ", " + parallel + ")";
  }
}

package dev.shelf.engine.model;

import dev.shelf.engine.gguf.GgmlType;
import dev.shelf.engine.gguf.GgufValue;
import dev.shelf.engine.gguf.GgufWriter;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Quantizer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Synthetic GGUF files of realistic shapes, for benchmarks and tests, of any architecture the
 * engine runs ({@code llama}, {@code qwen2}, {@code qwen3}: the shape says which, and the file has
 * the metadata and the optional tensors of that architecture, as llama.cpp's converter writes
 * them): random weights and biases (uniform, standard deviation {@value #WEIGHT_STD}, so
 * activations stay finite through any number of blocks), norms (q/k norms too) of ones, a synthetic
 * SentencePiece vocabulary of {@link Shape#vocab()} tokens ({@code <unk>}, {@code <s>}, {@code
 * </s>}, the 256 byte tokens, then made-up pieces), tied embeddings (no {@code output.weight}). The
 * weights are generated from a seed, row by row, in parallel, straight into the memory-mapped
 * output: a 2 GB file never sits in the heap.
 *
 * <h2>Types</h2>
 *
 * A file type names the type of the 2-D weights as llama.cpp's {@code llama-quantize} does: {@code
 * F32}, {@code F16}, {@code BF16}, {@code Q8_0} for all of them; {@code Q4_0}, {@code Q4_1}, {@code
 * Q5_0}, {@code Q5_1} and {@code Q6_K} with the tied {@code token_embd} in Q6_K (llama.cpp's rule
 * for the output tensor); {@code Q4_K_M} and {@code Q5_K_M} are llama.cpp's mixes: Q4_K (Q5_K),
 * with Q6_K for {@code token_embd} and for {@code attn_v} and {@code ffn_down} in the layers {@code
 * use_more_bits} picks (the first and last eighth and every third between). A K-quant tensor whose
 * rows are not whole 256-element blocks falls back as llama.cpp's does: Q4_K to Q5_0, Q5_K to Q5_1,
 * Q6_K to Q8_0 (qwen25-05b's 896 columns).
 */
public final class SyntheticModel {
  /** Standard deviation of the random weights. */
  public static final float WEIGHT_STD = 0.02f;

  /** Tokens of the synthetic vocabulary's fixed head: unk, bos, eos and the 256 byte tokens. */
  private static final int SPECIAL = 3 + 256;

  private SyntheticModel() {}

  /**
   * The hyper-parameters of a synthetic model.
   *
   * @param name what {@code shelf synth --shape} calls it
   * @param architecture the {@code general.architecture}, one of {@link Architectures#known()}
   * @param headSize elements per attention head (written as {@code attention.key_length} when it is
   *     not {@code embedding / heads}, and always for qwen3 as its converter does)
   * @throws IllegalArgumentException naming the architecture when the engine does not run it
   */
  public record Shape(
      String name,
      String architecture,
      int embedding,
      int blocks,
      int heads,
      int kvHeads,
      int headSize,
      int feedForward,
      int vocab,
      int context,
      float ropeBase,
      float rmsEpsilon) {

    public Shape {
      arch(architecture);
    }

    /** The architecture's description. */
    public Architecture arch() {
      return arch(architecture);
    }

    private static Architecture arch(String name) {
      Architecture a = Architectures.find(name);
      if (a == null) {
        throw new IllegalArgumentException(
            "unknown architecture '" + name + "'; known: " + Architectures.names());
      }
      return a;
    }

    /** Parameters in the weights (embeddings counted once: they are tied). */
    public long parameters() {
      long q = (long) heads * headSize;
      long kv = (long) kvHeads * headSize;
      long perBlock = 2L * embedding * q + 2L * embedding * kv + 3L * embedding * feedForward;
      if (arch().attentionBias()) {
        perBlock += q + 2 * kv;
      }
      return (long) vocab * embedding + blocks * perBlock;
    }
  }

  /** Llama 3.2 1B's shape with a 32,000-token vocabulary (BENCHMARKS.md's {@code llama32-1b}). */
  public static final Shape LLAMA32_1B =
      new Shape("llama32-1b", "llama", 2048, 16, 32, 8, 64, 8192, 32_000, 2048, 500_000f, 1e-5f);

  /**
   * Qwen 2.5 0.5B's shape, a {@code qwen2} model (biases, NeoX RoPE) with a 32,000-token vocabulary
   * (BENCHMARKS.md's {@code qwen25-05b}, whose llama.cpp figures were measured on a {@code llama}
   * file of this shape: the biases add a few thousand additions a token).
   */
  public static final Shape QWEN25_05B =
      new Shape("qwen25-05b", "qwen2", 896, 24, 14, 2, 64, 4864, 32_000, 2048, 1_000_000f, 1e-6f);

  /**
   * Qwen3 0.6B's shape, a {@code qwen3} model (q/k norms, heads of 128, wider than 1024 / 16) with
   * a 32,000-token vocabulary.
   */
  public static final Shape QWEN3_06B =
      new Shape("qwen3-06b", "qwen3", 1024, 28, 16, 8, 128, 3072, 32_000, 2048, 1_000_000f, 1e-6f);

  /** A few megabytes, for tests: every code path of the big shapes (GQA, K-quant blocks). */
  public static final Shape TINY =
      new Shape("tiny", "llama", 256, 2, 4, 2, 64, 512, 32_000, 512, 10_000f, 1e-5f);

  /** {@link #TINY} as a {@code qwen2} model. */
  public static final Shape TINY_QWEN2 =
      new Shape("tiny-qwen2", "qwen2", 256, 2, 4, 2, 64, 512, 32_000, 512, 1_000_000f, 1e-6f);

  /** {@link #TINY} as a {@code qwen3} model, with heads of 128 (twice 256 / 4) as Qwen3's. */
  public static final Shape TINY_QWEN3 =
      new Shape("tiny-qwen3", "qwen3", 256, 2, 4, 2, 128, 512, 32_000, 512, 1_000_000f, 1e-6f);

  /** The shapes {@link #shape} knows. */
  public static List<Shape> shapes() {
    return List.of(LLAMA32_1B, QWEN25_05B, QWEN3_06B, TINY, TINY_QWEN2, TINY_QWEN3);
  }

  /**
   * The shape called {@code name}.
   *
   * @throws IllegalArgumentException naming the known shapes when there is none
   */
  public static Shape shape(String name) {
    for (Shape s : shapes()) {
      if (s.name().equalsIgnoreCase(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown shape '"
            + name
            + "'; known: "
            + String.join(", ", shapes().stream().map(Shape::name).toList()));
  }

  /** The file types {@link #write} accepts, as llama.cpp names them. */
  public static List<String> fileTypes() {
    return List.of(
        "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q6_K", "Q4_K_M", "Q5_K_M");
  }

  /** Told how many bytes of tensor data are written so far, of how many. */
  @FunctionalInterface
  public interface Progress {
    void update(long done, long total);
  }

  /** One tensor of the file and how to fill it. */
  private record Planned(String name, GgmlType type, int rows, int cols, long seed) {
    /** A norm's weights: all ones. */
    static Planned norm(String name, int length) {
      return new Planned(name, GgmlType.F32, 1, length, NORM);
    }
  }

  /** The seed of the norms, which are not random. */
  private static final long NORM = Long.MIN_VALUE;

  /**
   * Writes a synthetic model of {@code shape} with weights of {@code fileType} to {@code path}.
   *
   * @throws IllegalArgumentException if the file type is not one of {@link #fileTypes()}
   * @throws IOException if the file cannot be written
   */
  public static void write(
      Path path, Shape shape, String fileType, long seed, Parallel parallel, Progress progress)
      throws IOException {
    String ftype = fileType.toUpperCase(Locale.ROOT);
    if (!fileTypes().contains(ftype)) {
      throw new IllegalArgumentException(
          "unknown type '" + fileType + "'; known: " + String.join(", ", fileTypes()));
    }
    GgufWriter writer = new GgufWriter();
    metadata(writer, shape, ftype);
    List<Planned> plan = plan(shape, ftype, seed);
    long total = 0;
    for (Planned p : plan) {
      total += p.type().byteSize(p.cols(), p.rows());
    }
    long[] done = {0};
    long all = total;
    for (Planned p : plan) {
      long[] dims = p.rows() == 1 ? new long[] {p.cols()} : new long[] {p.cols(), p.rows()};
      writer.addTensor(
          p.name(),
          p.type(),
          dims,
          target -> {
            fill(target, p, parallel);
            done[0] += target.byteSize();
            progress.update(done[0], all);
          });
    }
    writer.write(path);
  }

  private static void metadata(GgufWriter w, Shape s, String ftype) {
    String a = s.arch().keyPrefix();
    w.putString("general.architecture", s.architecture());
    w.putString("general.name", "synthetic " + s.name() + " " + ftype);
    w.putUint32("general.file_type", fileTypeId(ftype));
    w.putUint32(a + "context_length", s.context());
    w.putUint32(a + "embedding_length", s.embedding());
    w.putUint32(a + "block_count", s.blocks());
    w.putUint32(a + "feed_forward_length", s.feedForward());
    w.putUint32(a + "attention.head_count", s.heads());
    w.putUint32(a + "attention.head_count_kv", s.kvHeads());
    if (s.headSize() * s.heads() != s.embedding() || s.arch().qkNorm()) {
      w.putUint32(a + "attention.key_length", s.headSize());
      w.putUint32(a + "attention.value_length", s.headSize());
    }
    w.putUint32(a + "rope.dimension_count", s.headSize());
    w.putFloat32(a + "rope.freq_base", s.ropeBase());
    w.putFloat32(a + "attention.layer_norm_rms_epsilon", s.rmsEpsilon());
    w.putUint32(a + "vocab_size", s.vocab());
    w.putString("tokenizer.ggml.model", "llama");
    List<String> tokens = new ArrayList<>(s.vocab());
    float[] scores = new float[s.vocab()];
    int[] types = new int[s.vocab()];
    tokens.add("<unk>");
    tokens.add("<s>");
    tokens.add("</s>");
    types[0] = 2;
    types[1] = 3;
    types[2] = 3;
    for (int b = 0; b < 256; b++) {
      tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
      types[3 + b] = 6;
    }
    for (int i = SPECIAL; i < s.vocab(); i++) {
      tokens.add(piece(i - SPECIAL));
      scores[i] = -(i - SPECIAL);
      types[i] = 1;
    }
    w.putStringArray("tokenizer.ggml.tokens", tokens);
    w.put("tokenizer.ggml.scores", GgufValue.float32Array(scores));
    w.put("tokenizer.ggml.token_type", GgufValue.int32Array(types));
    w.putUint32("tokenizer.ggml.unknown_token_id", 0);
    w.putUint32("tokenizer.ggml.bos_token_id", 1);
    w.putUint32("tokenizer.ggml.eos_token_id", 2);
    w.putBool("tokenizer.ggml.add_bos_token", true);
  }

  /**
   * The {@code i}-th made-up piece: single letters and then longer letter strings, each with and
   * without the SentencePiece word marker, all distinct.
   */
  static String piece(int i) {
    boolean word = (i & 1) == 0;
    int n = i >> 1;
    StringBuilder sb = new StringBuilder();
    do {
      sb.append((char) ('a' + n % 26));
      n = n / 26 - 1;
    } while (n >= 0);
    return (word ? "\u2581" : "") + sb;
  }

  /** llama.cpp's {@code llama_ftype} number of a file type name. */
  private static int fileTypeId(String ftype) {
    return switch (ftype) {
      case "F32" -> 0;
      case "F16" -> 1;
      case "Q4_0" -> 2;
      case "Q4_1" -> 3;
      case "Q8_0" -> 7;
      case "Q5_0" -> 8;
      case "Q5_1" -> 9;
      case "Q4_K_M" -> 15;
      case "Q5_K_M" -> 17;
      case "Q6_K" -> 18;
      case "BF16" -> 32;
      default -> throw new IllegalArgumentException(ftype);
    };
  }

  /**
   * llama.cpp's {@code use_more_bits}: the layers Q4_K_M and Q5_K_M give Q6_K for attn_v and
   * ffn_down.
   */
  static boolean useMoreBits(int layer, int layers) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
  }

  private static List<Planned> plan(Shape s, String ftype, long seed) {
    GgmlType base =
        switch (ftype) {
          case "Q4_K_M" -> GgmlType.Q4_K;
          case "Q5_K_M" -> GgmlType.Q5_K;
          default -> GgmlType.valueOf(ftype);
        };
    boolean quantised = base.blockSize() > 1 && base != GgmlType.Q8_0;
    int dim = s.embedding();
    int q = s.heads() * s.headSize();
    int kv = s.kvHeads() * s.headSize();
    int ff = s.feedForward();
    Architecture arch = s.arch();
    List<Planned> plan = new ArrayList<>();
    long n = (seed & 0xFFFFFFFFL) << 16;
    GgmlType embd = quantised ? GgmlType.Q6_K : base;
    plan.add(new Planned("token_embd.weight", fallback(embd, dim), s.vocab(), dim, n++));
    plan.add(Planned.norm("output_norm.weight", dim));
    for (int b = 0; b < s.blocks(); b++) {
      String p = "blk." + b + ".";
      boolean more = ftype.endsWith("_K_M") && useMoreBits(b, s.blocks());
      GgmlType v = more ? GgmlType.Q6_K : base;
      plan.add(Planned.norm(p + "attn_norm.weight", dim));
      plan.add(new Planned(p + "attn_q.weight", fallback(base, dim), q, dim, n++));
      plan.add(new Planned(p + "attn_k.weight", fallback(base, dim), kv, dim, n++));
      plan.add(new Planned(p + "attn_v.weight", fallback(v, dim), kv, dim, n++));
      if (arch.attentionBias()) {
        plan.add(new Planned(p + "attn_q.bias", GgmlType.F32, 1, q, n++));
        plan.add(new Planned(p + "attn_k.bias", GgmlType.F32, 1, kv, n++));
        plan.add(new Planned(p + "attn_v.bias", GgmlType.F32, 1, kv, n++));
      }
      if (arch.qkNorm()) {
        plan.add(Planned.norm(p + "attn_q_norm.weight", s.headSize()));
        plan.add(Planned.norm(p + "attn_k_norm.weight", s.headSize()));
      }
      plan.add(new Planned(p + "attn_output.weight", fallback(base, q), dim, q, n++));
      plan.add(Planned.norm(p + "ffn_norm.weight", dim));
      plan.add(new Planned(p + "ffn_gate.weight", fallback(base, dim), ff, dim, n++));
      plan.add(new Planned(p + "ffn_up.weight", fallback(base, dim), ff, dim, n++));
      plan.add(new Planned(p + "ffn_down.weight", fallback(v, ff), dim, ff, n++));
    }
    return plan;
  }

  /**
   * {@code type}, or llama.cpp's fallback ({@code llama_tensor_get_type}) when rows of {@code cols}
   * are not whole blocks of it: a 32-element type of about as many bits.
   */
  static GgmlType fallback(GgmlType type, int cols) {
    if (cols % type.blockSize() == 0) {
      return type;
    }
    return switch (type) {
      case Q4_K -> GgmlType.Q5_0;
      case Q5_K -> GgmlType.Q5_1;
      default -> GgmlType.Q8_0;
    };
  }

  /** Writes the tensor's rows, generated from its seed, split across threads. */
  private static void fill(MemorySegment target, Planned p, Parallel parallel) {
    long rowBytes = p.type().byteSize(p.cols());
    parallel.forRange(
        0,
        p.rows(),
        (start, end) -> {
          float[] row = new float[p.cols()];
          for (int r = start; r < end; r++) {
            if (p.seed() == NORM) {
              Arrays.fill(row, 1f);
            } else {
              randomRow(row, p.seed() * 0x9E3779B97F4A7C15L + r);
            }
            Quantizer.quantize(p.type(), row, 0, p.cols(), target, r * rowBytes);
          }
        });
  }

  /** Uniform values of standard deviation {@link #WEIGHT_STD} from a SplitMix64 stream. */
  private static void randomRow(float[] row, long seed) {
    float half = WEIGHT_STD * (float) Math.sqrt(3);
    long z = seed;
    for (int i = 0; i < row.length; i++) {
      z += 0x9E3779B97F4A7C15L;
      long m = z;
      m = (m ^ (m >>> 30)) * 0xBF58476D1CE4E5B9L;
      m = (m ^ (m >>> 27)) * 0x94D049BB133111EBL;
      m ^= m >>> 31;
      float u = (m >>> 40) * 0x1p-24f; // [0, 1)
      row[i] = (2f * u - 1f) * half;
    }
  }
}

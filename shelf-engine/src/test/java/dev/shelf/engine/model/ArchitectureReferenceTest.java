package dev.shelf.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgmlType;
import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufWriter;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture's forward pass against an independent scalar reference written straight from
 * the math ({@link Reference}: RMSNorm, projections with biases, per-head q/k RMSNorm, normal or
 * NeoX RoPE, grouped-query attention over the causal prefix, SwiGLU), on small F32 files of random
 * weights, norms and biases built here: token by token, as a prefill, and as batched steps of
 * several sequences, with the scalar and the vector kernels. The reference rounds keys, values,
 * queries and attention probabilities to half precision where the engine does (llama.cpp's F16 KV
 * cache; see {@link LlamaSequence}), so the two agree to float rounding and the tolerance can be
 * tight. The llama case checks the reference itself: the engine's llama path equals llama.cpp's on
 * the stories260K fixture ({@link LlamaModelTest}). Each case also checks that the reference with
 * one feature of the architecture switched off or swapped (the other RoPE pairing, no biases, no
 * q/k norms) is far outside the tolerance, so the comparison can see each feature.
 */
class ArchitectureReferenceTest {
  /**
   * Logits (of order 1 to 10 here) agree within this, absolute. They mostly agree to 1e-5; where a
   * float sum of the engine and the reference's double sum round to neighbouring halves in the KV
   * cache, that one half step (about 2e-3 at values near 4) moves the logits by up to about 5e-3.
   * Leaving out or swapping one feature of an architecture moves them by 2 to 20 (checked below).
   */
  static final float TOLERANCE = 1e-2f;

  /** A small model: every dimension different, so a mixed-up index shows. */
  record Spec(
      String arch,
      int dim,
      int blocks,
      int heads,
      int kvHeads,
      int headSize,
      int ff,
      int vocab,
      boolean tied,
      float ropeBase,
      float eps) {
    int q() {
      return heads * headSize;
    }

    int kv() {
      return kvHeads * headSize;
    }
  }

  static final Spec LLAMA = new Spec("llama", 48, 2, 4, 2, 12, 80, 300, false, 10_000f, 1e-5f);
  static final Spec QWEN2 = new Spec("qwen2", 48, 2, 4, 2, 12, 80, 300, true, 10_000f, 1e-6f);
  // heads of 20, not 48 / 4 = 12: qwen3's key_length
  static final Spec QWEN3 = new Spec("qwen3", 48, 2, 4, 2, 20, 80, 300, false, 1_000f, 1e-6f);

  /** Random weights, named as in the file; the 2-D ones row-major, {@code rows x cols}. */
  static final class Weights {
    final java.util.Map<String, float[]> vectors = new java.util.LinkedHashMap<>();
    final java.util.Map<String, float[][]> matrices = new java.util.LinkedHashMap<>();

    float[] v(String name) {
      float[] v = vectors.get(name);
      if (v == null) {
        throw new IllegalArgumentException(name);
      }
      return v;
    }

    float[][] mat(String name) {
      float[][] m = matrices.get(name);
      if (m == null) {
        throw new IllegalArgumentException(name);
      }
      return m;
    }
  }

  static Weights weights(Spec s, long seed) {
    Random r = new Random(seed);
    Architecture a = java.util.Objects.requireNonNull(Architectures.find(s.arch()));
    Weights w = new Weights();
    w.matrices.put("token_embd.weight", matrix(r, s.vocab(), s.dim(), 1f));
    if (!s.tied()) {
      w.matrices.put(
          "output.weight", matrix(r, s.vocab(), s.dim(), 2f / (float) Math.sqrt(s.dim())));
    }
    w.vectors.put("output_norm.weight", norm(r, s.dim()));
    for (int b = 0; b < s.blocks(); b++) {
      String p = "blk." + b + ".";
      float inv = 1f / (float) Math.sqrt(s.dim());
      w.vectors.put(p + "attn_norm.weight", norm(r, s.dim()));
      w.matrices.put(p + "attn_q.weight", matrix(r, s.q(), s.dim(), 1.5f * inv));
      w.matrices.put(p + "attn_k.weight", matrix(r, s.kv(), s.dim(), 1.5f * inv));
      w.matrices.put(p + "attn_v.weight", matrix(r, s.kv(), s.dim(), inv));
      if (a.attentionBias()) {
        w.vectors.put(p + "attn_q.bias", vector(r, s.q(), 0.5f));
        w.vectors.put(p + "attn_k.bias", vector(r, s.kv(), 0.5f));
        w.vectors.put(p + "attn_v.bias", vector(r, s.kv(), 0.5f));
      }
      if (a.qkNorm()) {
        w.vectors.put(p + "attn_q_norm.weight", norm(r, s.headSize()));
        w.vectors.put(p + "attn_k_norm.weight", norm(r, s.headSize()));
      }
      w.matrices.put(
          p + "attn_output.weight", matrix(r, s.dim(), s.q(), 1f / (float) Math.sqrt(s.q())));
      w.vectors.put(p + "ffn_norm.weight", norm(r, s.dim()));
      w.matrices.put(p + "ffn_gate.weight", matrix(r, s.ff(), s.dim(), inv));
      w.matrices.put(p + "ffn_up.weight", matrix(r, s.ff(), s.dim(), inv));
      w.matrices.put(
          p + "ffn_down.weight", matrix(r, s.dim(), s.ff(), 1f / (float) Math.sqrt(s.ff())));
    }
    return w;
  }

  private static float[][] matrix(Random r, int rows, int cols, float std) {
    float[][] m = new float[rows][];
    for (int i = 0; i < rows; i++) {
      m[i] = vector(r, cols, std);
    }
    return m;
  }

  private static float[] vector(Random r, int n, float std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * std;
    }
    return v;
  }

  /** Norm weights around one, in [0.5, 1.5). */
  private static float[] norm(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = 0.5f + r.nextFloat();
    }
    return v;
  }

  /** The GGUF file of {@code w}, all F32, without the tensors named in {@code omit}. */
  static GgufFile file(Spec s, Weights w, Set<String> omit) {
    String p = s.arch() + ".";
    GgufWriter g = new GgufWriter();
    g.putString("general.architecture", s.arch());
    g.putUint32(p + "context_length", 64);
    g.putUint32(p + "embedding_length", s.dim());
    g.putUint32(p + "block_count", s.blocks());
    g.putUint32(p + "feed_forward_length", s.ff());
    g.putUint32(p + "attention.head_count", s.heads());
    g.putUint32(p + "attention.head_count_kv", s.kvHeads());
    if (s.headSize() * s.heads() != s.dim()) {
      g.putUint32(p + "attention.key_length", s.headSize());
      g.putUint32(p + "attention.value_length", s.headSize());
    }
    g.putFloat32(p + "rope.freq_base", s.ropeBase());
    g.putFloat32(p + "attention.layer_norm_rms_epsilon", s.eps());
    g.putUint32(p + "vocab_size", s.vocab());
    w.matrices.forEach(
        (name, m) -> {
          if (!omit.contains(name)) {
            float[] flat = new float[m.length * m[0].length];
            for (int i = 0; i < m.length; i++) {
              System.arraycopy(m[i], 0, flat, i * m[0].length, m[0].length);
            }
            g.addTensor(name, GgmlType.F32, new long[] {m[0].length, m.length}, bytes(flat));
          }
        });
    w.vectors.forEach(
        (name, v) -> {
          if (!omit.contains(name)) {
            g.addTensor(name, GgmlType.F32, new long[] {v.length}, bytes(v));
          }
        });
    return GgufFile.parse(MemorySegment.ofArray(g.toByteArray()), "ref-" + s.arch() + ".gguf");
  }

  private static byte[] bytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  /**
   * The forward pass of one sequence, in plain loops straight from the math, in double except where
   * the engine rounds to half precision (the KV cache, the queries and the attention probabilities,
   * as llama.cpp's F16 cache does).
   */
  static final class Reference {
    final Spec s;
    final Weights w;
    final boolean neox;
    final boolean bias;
    final boolean qkNorm;
    final List<List<double[]>> keys = new ArrayList<>();
    final List<List<double[]>> values = new ArrayList<>();

    Reference(Spec s, Weights w, boolean neox, boolean bias, boolean qkNorm) {
      this.s = s;
      this.w = w;
      this.neox = neox;
      this.bias = bias;
      this.qkNorm = qkNorm;
      for (int b = 0; b < s.blocks(); b++) {
        keys.add(new ArrayList<>());
        values.add(new ArrayList<>());
      }
    }

    /** As the architecture says. */
    static Reference of(Spec s, Weights w) {
      Architecture a = java.util.Objects.requireNonNull(Architectures.find(s.arch()));
      return new Reference(s, w, a.rope() == Architecture.Rope.NEOX, a.attentionBias(), a.qkNorm());
    }

    /** The logits after {@code token} at the next position. */
    float[] forward(int token) {
      int pos = keys.get(0).size();
      double[] x = toDouble(w.mat("token_embd.weight")[token]);
      for (int b = 0; b < s.blocks(); b++) {
        String p = "blk." + b + ".";
        double[] h = rmsNorm(x, w.v(p + "attn_norm.weight"));
        double[] q = mul(w.mat(p + "attn_q.weight"), h);
        double[] k = mul(w.mat(p + "attn_k.weight"), h);
        double[] v = mul(w.mat(p + "attn_v.weight"), h);
        if (bias) {
          add(q, toDouble(w.v(p + "attn_q.bias")));
          add(k, toDouble(w.v(p + "attn_k.bias")));
          add(v, toDouble(w.v(p + "attn_v.bias")));
        }
        if (qkNorm) {
          perHeadNorm(q, w.v(p + "attn_q_norm.weight"));
          perHeadNorm(k, w.v(p + "attn_k_norm.weight"));
        }
        rope(q, pos);
        rope(k, pos);
        keys.get(b).add(half(k));
        values.get(b).add(half(v));
        q = half(q);
        double[] att = new double[s.q()];
        int hs = s.headSize();
        for (int head = 0; head < s.heads(); head++) {
          int kvHead = head / (s.heads() / s.kvHeads());
          double[] scores = new double[pos + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int t = 0; t <= pos; t++) {
            double dot = 0;
            for (int i = 0; i < hs; i++) {
              dot += q[head * hs + i] * keys.get(b).get(t)[kvHead * hs + i];
            }
            scores[t] = dot / Math.sqrt(hs);
            max = Math.max(max, scores[t]);
          }
          double sum = 0;
          for (int t = 0; t <= pos; t++) {
            scores[t] = Math.exp(scores[t] - max);
            sum += scores[t];
          }
          for (int t = 0; t <= pos; t++) {
            double prob = half(scores[t] / sum);
            for (int i = 0; i < hs; i++) {
              att[head * hs + i] += prob * values.get(b).get(t)[kvHead * hs + i];
            }
          }
        }
        add(x, mul(w.mat(p + "attn_output.weight"), att));
        h = rmsNorm(x, w.v(p + "ffn_norm.weight"));
        double[] g = mul(w.mat(p + "ffn_gate.weight"), h);
        double[] u = mul(w.mat(p + "ffn_up.weight"), h);
        for (int i = 0; i < g.length; i++) {
          g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        add(x, mul(w.mat(p + "ffn_down.weight"), g));
      }
      float[][] out =
          w.matrices.containsKey("output.weight")
              ? w.mat("output.weight")
              : w.mat("token_embd.weight");
      double[] logits = mul(out, rmsNorm(x, w.v("output_norm.weight")));
      float[] f = new float[logits.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) logits[i];
      }
      return f;
    }

    double[] rmsNorm(double[] x, float[] weight) {
      double ms = 0;
      for (double e : x) {
        ms += e * e;
      }
      double scale = 1 / Math.sqrt(ms / x.length + s.eps());
      double[] out = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        out[i] = x[i] * scale * weight[i];
      }
      return out;
    }

    void perHeadNorm(double[] x, float[] weight) {
      int hs = weight.length;
      for (int off = 0; off < x.length; off += hs) {
        double[] head = java.util.Arrays.copyOfRange(x, off, off + hs);
        System.arraycopy(rmsNorm(head, weight), 0, x, off, hs);
      }
    }

    /**
     * Pair i of each head: (i, i + hs/2) for NeoX, (2i, 2i + 1) otherwise; theta = pos b^(-2i/hs).
     */
    void rope(double[] x, int pos) {
      int hs = s.headSize();
      for (int off = 0; off < x.length; off += hs) {
        for (int i = 0; i < hs / 2; i++) {
          double theta = pos * Math.pow(s.ropeBase(), -2.0 * i / hs);
          int a = neox ? off + i : off + 2 * i;
          int b = neox ? off + i + hs / 2 : off + 2 * i + 1;
          double x0 = x[a];
          double x1 = x[b];
          x[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
          x[b] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
        }
      }
    }

    static double[] mul(float[][] m, double[] x) {
      double[] out = new double[m.length];
      for (int r = 0; r < m.length; r++) {
        double sum = 0;
        for (int c = 0; c < x.length; c++) {
          sum += m[r][c] * x[c];
        }
        out[r] = sum;
      }
      return out;
    }

    static void add(double[] x, double[] y) {
      for (int i = 0; i < x.length; i++) {
        x[i] += y[i];
      }
    }

    static double[] toDouble(float[] v) {
      double[] d = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        d[i] = v[i];
      }
      return d;
    }

    static double half(double d) {
      return Float.float16ToFloat(Float.floatToFloat16((float) d));
    }

    static double[] half(double[] v) {
      double[] out = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = half(v[i]);
      }
      return out;
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> args = new ArrayList<>();
    for (Spec s : List.of(LLAMA, QWEN2, QWEN3)) {
      for (Simd simd : Simd.all()) {
        args.add(Arguments.of(s.arch(), s, simd));
      }
    }
    return args.stream();
  }

  static final int[] PROMPT = {5, 17, 299, 0, 42, 42, 7, 120};

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("cases")
  void tokenByTokenEqualsTheReference(String name, Spec s, Simd simd) {
    Weights w = weights(s, 1);
    try (GgufFile file = file(s, w, Set.of())) {
      LlamaModel model = LlamaModel.load(file, simd, Parallel.shared());
      assertThat(model.architecture().name()).isEqualTo(s.arch());
      assertThat(model.config().headSize()).isEqualTo(s.headSize());
      LlamaSequence seq = model.newSequence(32);
      Reference ref = Reference.of(s, w);
      for (int i = 0; i < PROMPT.length; i++) {
        float[] expected = ref.forward(PROMPT[i]);
        assertClose(seq.forward(PROMPT[i], i), expected, name + " position " + i);
      }
    }
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("cases")
  void prefillAndBatchedStepsEqualTheReference(String name, Spec s, Simd simd) {
    Weights w = weights(s, 2);
    try (GgufFile file = file(s, w, Set.of())) {
      LlamaModel model = LlamaModel.load(file, simd, Parallel.shared());
      // a prefill, every token's logits
      Reference ref = Reference.of(s, w);
      float[][] all = model.newSequence(32).forwardAll(PROMPT, 0, true);
      for (int i = 0; i < PROMPT.length; i++) {
        assertClose(all[i], ref.forward(PROMPT[i]), name + " prefill row " + i);
      }
      // three sequences of different lengths prefilled, then stepped together
      int streams = 3;
      LlamaSequence[] seqs = new LlamaSequence[streams];
      Reference[] refs = new Reference[streams];
      for (int k = 0; k < streams; k++) {
        seqs[k] = model.newSequence(32);
        refs[k] = Reference.of(s, w);
        int[] prompt = java.util.Arrays.copyOfRange(PROMPT, k, PROMPT.length - k);
        float[] expected = new float[0];
        for (int t : prompt) {
          expected = refs[k].forward(t);
        }
        assertClose(seqs[k].prefill(prompt, 0), expected, name + " prefill of stream " + k);
      }
      for (int step = 0; step < 3; step++) {
        int[] next = new int[streams];
        for (int k = 0; k < streams; k++) {
          next[k] = (31 * step + 97 * k + 3) % s.vocab();
        }
        float[][] together = model.step(seqs, next);
        for (int k = 0; k < streams; k++) {
          assertClose(together[k], refs[k].forward(next[k]), name + " step " + step + " of " + k);
        }
      }
    }
  }

  /** The reference with one feature changed is far from the engine: the test sees each feature. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachFeatureMovesTheLogitsFarBeyondTheTolerance(String name, Spec s, Simd simd) {
    Weights w = weights(s, 3);
    Architecture a = java.util.Objects.requireNonNull(Architectures.find(s.arch()));
    boolean neox = a.rope() == Architecture.Rope.NEOX;
    List<Reference> variants = new ArrayList<>();
    variants.add(new Reference(s, w, !neox, a.attentionBias(), a.qkNorm()));
    if (a.attentionBias()) {
      variants.add(new Reference(s, w, neox, false, a.qkNorm()));
    }
    if (a.qkNorm()) {
      variants.add(new Reference(s, w, neox, a.attentionBias(), false));
    }
    try (GgufFile file = file(s, w, Set.of())) {
      LlamaModel model = LlamaModel.load(file, simd, Parallel.shared());
      for (Reference wrong : variants) {
        LlamaSequence seq = model.newSequence(32);
        float worst = 0;
        for (int i = 0; i < PROMPT.length; i++) {
          worst = Math.max(worst, maxDiff(seq.forward(PROMPT[i], i), wrong.forward(PROMPT[i])));
        }
        assertThat(worst)
            .as(
                "%s against the reference with neox=%s bias=%s qkNorm=%s",
                name, wrong.neox, wrong.bias, wrong.qkNorm)
            .isGreaterThan(100 * TOLERANCE);
      }
    }
  }

  @Test
  void aMissingBiasOrQkNormIsNamed() {
    try (GgufFile f = file(QWEN2, weights(QWEN2, 4), Set.of("blk.1.attn_k.bias"))) {
      assertThatThrownBy(() -> LlamaModel.load(f))
          .isInstanceOf(GgufException.class)
          .hasMessage(
              "ref-qwen2.gguf: tensor 'blk.1.attn_k.bias' is missing (qwen2 models have attention"
                  + " biases)");
    }
    try (GgufFile f = file(QWEN3, weights(QWEN3, 4), Set.of("blk.0.attn_q_norm.weight"))) {
      assertThatThrownBy(() -> LlamaModel.load(f))
          .isInstanceOf(GgufException.class)
          .hasMessage(
              "ref-qwen3.gguf: tensor 'blk.0.attn_q_norm.weight' is missing (qwen3 models have q/k"
                  + " norms)");
    }
  }

  @Test
  void aBiasOfTheWrongLengthIsNamed() {
    Weights w = weights(QWEN2, 5);
    w.vectors.put("blk.0.attn_v.bias", new float[QWEN2.q()]);
    try (GgufFile f = file(QWEN2, w, Set.of())) {
      assertThatThrownBy(() -> LlamaModel.load(f))
          .isInstanceOf(GgufException.class)
          .hasMessage("ref-qwen2.gguf: tensor 'blk.0.attn_v.bias' has dims [48], expected [24]");
    }
  }

  @Test
  void anUnknownArchitectureIsRefusedNamingTheKnownOnes() {
    Weights w = weights(LLAMA, 6);
    Spec gemma = new Spec("gemma2", 48, 2, 4, 2, 12, 80, 300, false, 10_000f, 1e-6f);
    try (GgufFile f = file(gemma, w, Set.of())) {
      assertThatThrownBy(() -> LlamaModel.load(f))
          .isInstanceOf(GgufException.class)
          .hasMessage(
              "ref-gemma2.gguf: general.architecture 'gemma2' is not supported; the engine runs"
                  + " llama, qwen2, qwen3");
    }
    assertThat(Architectures.known()).extracting(Architecture::name).doesNotHaveDuplicates();
  }

  @Test
  void aQwen2FileReadsItsKeysAndQwen3ItsKeyLength() {
    try (GgufFile f = file(QWEN3, weights(QWEN3, 7), Set.of())) {
      LlamaConfig c = LlamaConfig.fromGguf(f);
      assertThat(c)
          .isEqualTo(new LlamaConfig("qwen3", 48, 2, 4, 2, 80, 1e-6f, 1_000f, 20, 64, 300, 20));
      assertThat(c.queryLength()).isEqualTo(80);
      assertThat(c.kvLength()).isEqualTo(40);
    }
    try (GgufFile f = file(QWEN2, weights(QWEN2, 7), Set.of())) {
      assertThat(LlamaConfig.fromGguf(f))
          .isEqualTo(new LlamaConfig("qwen2", 48, 2, 4, 2, 80, 1e-6f, 10_000f, 12, 64, 300));
    }
  }

  static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what).hasSameSizeAs(expected);
    assertThat(maxDiff(actual, expected)).as(what).isLessThanOrEqualTo(TOLERANCE);
  }

  static float maxDiff(float[] a, float[] b) {
    float worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }
}

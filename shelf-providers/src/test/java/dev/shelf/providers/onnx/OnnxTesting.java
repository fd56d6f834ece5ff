package dev.shelf.providers.onnx;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15.BgeSmallZhV15EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.providers.onnx.internal.Encoder;
import dev.shelf.providers.spi.Call;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Shared helpers: requests to the provider, and LangChain4j's reference implementation. */
final class OnnxTesting {
  private OnnxTesting() {}

  private static @Nullable EmbeddingModel miniLm;
  private static @Nullable EmbeddingModel bge;

  /** LangChain4j's own class for the same model: its tokenizer call, pooling and normalisation. */
  static synchronized EmbeddingModel reference(BundledModel m) {
    return switch (m) {
      case ALL_MINILM_L6_V2 -> {
        if (miniLm == null) {
          miniLm = new AllMiniLmL6V2EmbeddingModel();
        }
        yield miniLm;
      }
      case BGE_SMALL_ZH_V1_5 -> {
        if (bge == null) {
          bge = new BgeSmallZhV15EmbeddingModel();
        }
        yield bge;
      }
    };
  }

  /** The reference vectors for {@code texts}, one LangChain4j call each (no batching there). */
  static Response<List<dev.langchain4j.data.embedding.Embedding>> referenceAll(
      BundledModel m, List<String> texts) {
    return reference(m).embedAll(texts.stream().map(TextSegment::from).toList());
  }

  private static final Map<BundledModel, Direct> DIRECT = new EnumMap<>(BundledModel.class);

  /** A fresh ONNX Runtime session and an untruncated tokenizer over the same bundled files. */
  record Direct(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer) {}

  private static synchronized Direct direct(BundledModel m) throws Exception {
    Direct d = DIRECT.get(m);
    if (d == null) {
      ClassLoader cl = OnnxTesting.class.getClassLoader();
      byte[] graph;
      try (InputStream in = Objects.requireNonNull(cl.getResourceAsStream(m.onnxResource()))) {
        graph = in.readAllBytes();
      }
      HuggingFaceTokenizer tok;
      try (InputStream in = Objects.requireNonNull(cl.getResourceAsStream(m.tokenizerResource()))) {
        tok =
            HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false", "truncation", "false"));
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      d = new Direct(env, env.createSession(graph), tok);
      DIRECT.put(m, d);
    }
    return d;
  }

  /**
   * A second, plain reference: {@code text}'s full token sequence (no cutting) run alone, unpadded,
   * through a fresh ONNX Runtime session, pooled as the model card says (the mean of every token's
   * state, or the {@code [CLS]} state) in float arithmetic as PyTorch does, then L2-normalised.
   *
   * @return the vector, with the number of token ids run appended as its last element
   */
  static float[] direct(BundledModel m, String text) throws Exception {
    Direct d = direct(m);
    long[] ids = d.tokenizer().encode(text).getIds();
    long[] shape = {1, ids.length};
    long[] ones = new long[ids.length];
    Arrays.fill(ones, 1);
    try (var a = OnnxTensor.createTensor(d.env(), LongBuffer.wrap(ids), shape);
        var b = OnnxTensor.createTensor(d.env(), LongBuffer.wrap(ones), shape);
        var c = OnnxTensor.createTensor(d.env(), LongBuffer.wrap(new long[ids.length]), shape);
        var r = d.session().run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
      float[][] states = ((float[][][]) r.get(0).getValue())[0];
      int hidden = states[0].length;
      float[] v = new float[hidden + 1];
      if (m.pooling() == Encoder.Pooling.CLS) {
        System.arraycopy(states[0], 0, v, 0, hidden);
      } else {
        for (float[] s : states) {
          for (int h = 0; h < hidden; h++) {
            v[h] += s[h];
          }
        }
        for (int h = 0; h < hidden; h++) {
          v[h] /= states.length;
        }
      }
      float norm = 0;
      for (int h = 0; h < hidden; h++) {
        norm += v[h] * v[h];
      }
      norm = (float) Math.sqrt(norm);
      for (int h = 0; h < hidden; h++) {
        v[h] /= norm;
      }
      v[hidden] = ids.length;
      return v;
    }
  }

  /** The tokens LangChain4j reports it embedded. */
  static int tokens(Response<?> r) {
    return Objects.requireNonNull(Objects.requireNonNull(r.tokenUsage()).inputTokenCount());
  }

  static EmbeddingRequest request(String model, JsonNode input, @Nullable String format) {
    return new EmbeddingRequest(model, input, format, null, null, Json.object());
  }

  static EmbeddingRequest request(String model, List<String> texts) {
    var a = Json.NODES.arrayNode();
    texts.forEach(a::add);
    return request(model, a, null);
  }

  static EmbeddingResponse embed(OnnxProvider p, EmbeddingRequest r) {
    return p.embed(r, Call.unbounded("test"));
  }

  static float[][] vectors(EmbeddingResponse r) {
    float[][] out = new float[r.data().size()][];
    for (int i = 0; i < out.length; i++) {
      EmbeddingResponse.Item item = r.data().get(i);
      if (item.index() != i) {
        throw new AssertionError("item " + i + " has index " + item.index());
      }
      out[i] = item.floats();
    }
    return out;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}

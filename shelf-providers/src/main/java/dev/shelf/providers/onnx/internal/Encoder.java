package dev.shelf.providers.onnx.internal;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One BERT-style embedding model: its Hugging Face tokenizer (the Rust {@code tokenizers} library
 * through DJL, so token ids are exactly those of the model's {@code tokenizer.json}) and its ONNX
 * Runtime session. Thread-safe: the tokenizer and {@link OrtSession#run} may be used from many
 * threads at once, and nothing here is mutable after {@link #load}.
 *
 * <p>A batch is padded on the right to its longest sequence with the pad id 0, and the attention
 * mask keeps the padding out of attention and out of the pooling, so a text's vector does not
 * depend on what it is batched with (up to float rounding, well under 1e-5). Pooling follows the
 * model's sentence-transformers configuration ({@link Pooling}); the vector is then divided by its
 * L2 norm, as sentence-transformers' {@code Normalize} does.
 */
public final class Encoder {
  /** How token states become one vector. */
  public enum Pooling {
    /**
     * The mean of the states of the real (unpadded) tokens, {@code [CLS]} and {@code [SEP]} too.
     */
    MEAN,
    /** The state of the first token, {@code [CLS]}. */
    CLS
  }

  private final OrtEnvironment env;
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean tokenTypes;
  private final Pooling pooling;
  private final int maxTokens;

  private Encoder(
      OrtEnvironment env,
      OrtSession session,
      HuggingFaceTokenizer tokenizer,
      Pooling pooling,
      int maxTokens) {
    this.env = env;
    this.session = session;
    this.tokenizer = tokenizer;
    this.tokenTypes = session.getInputNames().contains("token_type_ids");
    this.pooling = pooling;
    this.maxTokens = maxTokens;
  }

  /**
   * Loads the graph and the tokenizer from classpath resources (at the root, where LangChain4j's
   * jars keep them). ONNX Runtime's intra-op threads follow {@code -Dshelf.threads} when it is set,
   * else its own default (the physical cores).
   */
  public static Encoder load(
      String onnxResource, String tokenizerResource, Pooling pooling, int maxTokens) {
    byte[] graph = resource(onnxResource);
    HuggingFaceTokenizer tokenizer;
    try (InputStream in = open(tokenizerResource)) {
      // Cut to the model's limit, as sentence-transformers does; no padding (batches pad here).
      tokenizer =
          HuggingFaceTokenizer.newInstance(
              in,
              Map.of(
                  "padding",
                  "false",
                  "truncation",
                  "true",
                  "maxLength",
                  Integer.toString(maxTokens),
                  "modelMaxLength",
                  Integer.toString(maxTokens)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + tokenizerResource, e);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      int threads = Integer.getInteger("shelf.threads", 0);
      if (threads > 0) {
        options.setIntraOpNumThreads(threads);
      }
      return new Encoder(env, env.createSession(graph, options), tokenizer, pooling, maxTokens);
    } catch (OrtException e) {
      tokenizer.close();
      throw new IllegalStateException("ONNX Runtime cannot load " + onnxResource + ": " + e, e);
    }
  }

  private static InputStream open(String name) {
    InputStream in = Encoder.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(
          "the bundled model file " + name + " is not on the classpath (LangChain4j's jar)");
    }
    return in;
  }

  private static byte[] resource(String name) {
    try (InputStream in = open(name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }

  public int maxTokens() {
    return maxTokens;
  }

  /**
   * The tokens the model reads for one text.
   *
   * @param ids {@code [CLS]}, the word pieces, {@code [SEP]}, cut to {@link #maxTokens()} (the last
   *     kept id is still {@code [SEP]})
   * @param textTokens how many of {@code ids} are the text's own word pieces, not special tokens:
   *     what {@code usage} counts
   */
  public record Tokens(long[] ids, int textTokens) {}

  public Tokens tokenize(String text) {
    Encoding e = tokenizer.encode(text, true, false);
    long[] ids = e.getIds();
    int special = 0;
    for (long m : e.getSpecialTokenMask()) {
      special += (int) m;
    }
    return new Tokens(ids, ids.length - special);
  }

  /** L2-normalised embeddings of a batch of token sequences, in order, in one forward pass. */
  public float[][] embed(List<long[]> batch) {
    int n = batch.size();
    if (n == 0) {
      return new float[0][];
    }
    int len = 0;
    for (long[] ids : batch) {
      len = Math.max(len, ids.length);
    }
    long[] ids = new long[n * len];
    long[] mask = new long[n * len];
    for (int b = 0; b < n; b++) {
      long[] s = batch.get(b);
      System.arraycopy(s, 0, ids, b * len, s.length);
      for (int j = 0; j < s.length; j++) {
        mask[b * len + j] = 1;
      }
    }
    long[] shape = {n, len};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      if (tokenTypes) {
        inputs.put(
            "token_type_ids",
            OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n * len]), shape));
      }
      try (OrtSession.Result result = session.run(inputs)) {
        if (!(result.get(0) instanceof OnnxTensor out)) {
          throw new IllegalStateException("the model's first output is not a tensor");
        }
        long[] outShape = out.getInfo().getShape();
        if (outShape.length != 3 || outShape[0] != n || outShape[1] != len) {
          throw new IllegalStateException(
              "the model's first output has shape "
                  + Arrays.toString(outShape)
                  + ", expected ["
                  + n
                  + ", "
                  + len
                  + ", hidden]");
        }
        return pool(out.getFloatBuffer(), batch, len, (int) outShape[2]);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private float[][] pool(FloatBuffer states, List<long[]> batch, int len, int hidden) {
    float[][] out = new float[batch.size()][];
    double[] acc = new double[hidden];
    for (int b = 0; b < batch.size(); b++) {
      int tokens = pooling == Pooling.CLS ? 1 : batch.get(b).length;
      Arrays.fill(acc, 0);
      for (int j = 0; j < tokens; j++) {
        int base = (b * len + j) * hidden;
        for (int h = 0; h < hidden; h++) {
          acc[h] += states.get(base + h);
        }
      }
      double norm = 0;
      for (int h = 0; h < hidden; h++) {
        acc[h] /= tokens;
        norm += acc[h] * acc[h];
      }
      // As torch.nn.functional.normalize: divide by max(norm, eps).
      double scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
      float[] v = new float[hidden];
      for (int h = 0; h < hidden; h++) {
        v[h] = (float) (acc[h] * scale);
      }
      out[b] = v;
    }
    return out;
  }
}

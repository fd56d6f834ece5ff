package dev.shelf.providers.onnx;

import dev.shelf.providers.onnx.internal.Encoder;
import dev.shelf.providers.onnx.internal.Encoder.Pooling;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The embedding models Shelf carries in its jar. Each is a BERT encoder exported to ONNX (by
 * Xenova, as packaged by LangChain4j), with the pooling, normalisation and sequence limit that its
 * sentence-transformers configuration gives:
 *
 * <ul>
 *   <li>{@code all-minilm-l6-v2}: English, 384 dimensions, mean pooling over the tokens, at most
 *       256 tokens (sentence-transformers' {@code max_seq_length});
 *   <li>{@code bge-small-zh-v1.5}: Chinese, 512 dimensions, the {@code [CLS]} token's state, at
 *       most 512 tokens.
 * </ul>
 *
 * Both are L2-normalised. Counts include the {@code [CLS]} and {@code [SEP]} tokens the model
 * reads.
 */
public enum BundledModel {
  ALL_MINILM_L6_V2(
      "all-minilm-l6-v2",
      "all-minilm-l6-v2.onnx",
      "all-minilm-l6-v2-tokenizer.json",
      Pooling.MEAN,
      256,
      384,
      List.of("sentence-transformers/all-minilm-l6-v2", "all-minilm")),
  BGE_SMALL_ZH_V1_5(
      "bge-small-zh-v1.5",
      "bge-small-zh-v1.5.onnx",
      "bge-small-zh-v1.5-tokenizer.json",
      Pooling.CLS,
      512,
      512,
      List.of("baai/bge-small-zh-v1.5", "bge-small-zh-v15"));

  private final String id;
  private final String onnxResource;
  private final String tokenizerResource;
  private final Pooling pooling;
  private final int maxTokens;
  private final int dimensions;
  private final List<String> aliases;
  private final Lazy lazy = new Lazy();

  BundledModel(
      String id,
      String onnxResource,
      String tokenizerResource,
      Pooling pooling,
      int maxTokens,
      int dimensions,
      List<String> aliases) {
    this.id = id;
    this.onnxResource = onnxResource;
    this.tokenizerResource = tokenizerResource;
    this.pooling = pooling;
    this.maxTokens = maxTokens;
    this.dimensions = dimensions;
    this.aliases = aliases;
  }

  /** The model's name, as {@code upstream:} in {@code shelf.yaml} gives it. */
  public String id() {
    return id;
  }

  /** Tokens the model reads, {@code [CLS]} and {@code [SEP]} included; longer inputs are cut. */
  public int maxTokens() {
    return maxTokens;
  }

  public int dimensions() {
    return dimensions;
  }

  public Pooling pooling() {
    return pooling;
  }

  /** The ONNX graph's resource name at the classpath root (inside LangChain4j's jar). */
  public String onnxResource() {
    return onnxResource;
  }

  /** The {@code tokenizer.json} resource name at the classpath root. */
  public String tokenizerResource() {
    return tokenizerResource;
  }

  /** By id or alias (the Hugging Face repository id), ignoring case; null if none matches. */
  public static @Nullable BundledModel find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (BundledModel m : values()) {
      if (m.id.equals(n) || m.aliases.contains(n)) {
        return m;
      }
    }
    return null;
  }

  /**
   * The model's encoder, loaded on first use and then shared by every provider and request of the
   * process (a reload of {@code shelf.yaml} does not load it again). A failed load is not kept.
   */
  public Encoder encoder() {
    return lazy.get(this);
  }

  /** One load per model, guarded by its own lock so that loading one never blocks the other. */
  private static final class Lazy {
    private volatile @Nullable Encoder encoder;

    Encoder get(BundledModel m) {
      Encoder e = encoder;
      if (e != null) {
        return e;
      }
      synchronized (this) {
        e = encoder;
        if (e == null) {
          e = Encoder.load(m.onnxResource, m.tokenizerResource, m.pooling, m.maxTokens);
          encoder = e;
        }
        return e;
      }
    }
  }
}

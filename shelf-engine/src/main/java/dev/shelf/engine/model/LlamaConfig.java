package dev.shelf.engine.model;

import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufMetadata;

/**
 * The hyper-parameters of a model of the llama family ({@link Architectures#known()}), read from
 * GGUF metadata keys prefixed by the file's {@code general.architecture} ({@code
 * llama.embedding_length}, {@code qwen2.embedding_length} and so on).
 *
 * @param architecture the value of {@code general.architecture}, the prefix of every key
 * @param embeddingLength width of the residual stream ({@code embedding_length})
 * @param blockCount number of transformer blocks ({@code block_count})
 * @param headCount query heads ({@code attention.head_count})
 * @param headCountKv key/value heads ({@code attention.head_count_kv}, default {@code headCount});
 *     fewer than {@code headCount} is grouped-query attention
 * @param feedForwardLength hidden width of the FFN ({@code feed_forward_length})
 * @param rmsEpsilon the epsilon of RMSNorm ({@code attention.layer_norm_rms_epsilon})
 * @param ropeFreqBase the RoPE base ({@code rope.freq_base}, default 10000)
 * @param ropeDimensionCount how many leading dimensions of each head RoPE rotates ({@code
 *     rope.dimension_count}, default the head size)
 * @param contextLength the training context ({@code context_length}); the default context of a
 *     sequence
 * @param vocabSize number of tokens, from {@code tokenizer.ggml.tokens}
 * @param headSize elements per attention head, of queries, keys and values alike ({@code
 *     attention.key_length}, which {@code attention.value_length} must equal; default {@code
 *     embeddingLength / headCount}); Qwen3's heads are wider than that
 */
public record LlamaConfig(
    String architecture,
    int embeddingLength,
    int blockCount,
    int headCount,
    int headCountKv,
    int feedForwardLength,
    float rmsEpsilon,
    float ropeFreqBase,
    int ropeDimensionCount,
    int contextLength,
    int vocabSize,
    int headSize) {

  /** llama.cpp's default RoPE base when a file does not say. */
  public static final float DEFAULT_ROPE_FREQ_BASE = 10_000f;

  /**
   * @throws IllegalArgumentException naming the value if the shape is inconsistent
   */
  public LlamaConfig {
    positive("embedding_length", embeddingLength);
    positive("block_count", blockCount);
    positive("attention.head_count", headCount);
    positive("attention.head_count_kv", headCountKv);
    positive("feed_forward_length", feedForwardLength);
    positive("context_length", contextLength);
    positive("vocab size", vocabSize);
    positive("attention.key_length (the head size)", headSize);
    if (headCount % headCountKv != 0) {
      throw new IllegalArgumentException(
          "attention.head_count "
              + headCount
              + " is not a multiple of attention.head_count_kv "
              + headCountKv);
    }
    if (ropeDimensionCount <= 0 || ropeDimensionCount % 2 != 0 || ropeDimensionCount > headSize) {
      throw new IllegalArgumentException(
          "rope.dimension_count must be even and in [2, "
              + headSize
              + "] (the head size) but was "
              + ropeDimensionCount);
    }
    if (!(rmsEpsilon > 0f) || !Float.isFinite(rmsEpsilon)) {
      throw new IllegalArgumentException(
          "attention.layer_norm_rms_epsilon must be > 0 but was " + rmsEpsilon);
    }
    if (!(ropeFreqBase > 0f) || !Float.isFinite(ropeFreqBase)) {
      throw new IllegalArgumentException("rope.freq_base must be > 0 but was " + ropeFreqBase);
    }
  }

  /**
   * A configuration whose head size is {@code embeddingLength / headCount}, as every llama file's.
   *
   * @throws IllegalArgumentException naming the values if the embedding does not split into heads
   */
  public LlamaConfig(
      String architecture,
      int embeddingLength,
      int blockCount,
      int headCount,
      int headCountKv,
      int feedForwardLength,
      float rmsEpsilon,
      float ropeFreqBase,
      int ropeDimensionCount,
      int contextLength,
      int vocabSize) {
    this(
        architecture,
        embeddingLength,
        blockCount,
        headCount,
        headCountKv,
        feedForwardLength,
        rmsEpsilon,
        ropeFreqBase,
        ropeDimensionCount,
        contextLength,
        vocabSize,
        defaultHeadSize(embeddingLength, headCount));
  }

  /** The configuration of an open GGUF file. */
  public static LlamaConfig fromGguf(GgufFile file) {
    return fromMetadata(file.metadata(), file.source());
  }

  /**
   * Reads the configuration from {@code metadata}; {@code source} names the file in errors.
   *
   * @throws GgufException naming the file and the key when a required key is missing, of the wrong
   *     type or inconsistent with the others
   */
  public static LlamaConfig fromMetadata(GgufMetadata metadata, String source) {
    String arch = metadata.getString("general.architecture");
    String p = arch + ".";
    int embedding = metadata.getInt(p + "embedding_length");
    int heads = metadata.getInt(p + "attention.head_count");
    int vocab;
    if (metadata.contains("tokenizer.ggml.tokens")) {
      vocab = metadata.get("tokenizer.ggml.tokens").length();
    } else if (metadata.contains(p + "vocab_size")) {
      vocab = metadata.getInt(p + "vocab_size");
    } else {
      throw new GgufException(
          source + ": metadata key 'tokenizer.ggml.tokens' is missing (needed for the vocab size)");
    }
    try {
      int headSize =
          metadata.contains(p + "attention.key_length")
              ? metadata.getInt(p + "attention.key_length")
              : defaultHeadSize(embedding, heads);
      int valueLength = metadata.getInt(p + "attention.value_length", headSize);
      if (valueLength != headSize) {
        throw new IllegalArgumentException(
            "attention.value_length "
                + valueLength
                + " differs from attention.key_length "
                + headSize
                + " (not supported)");
      }
      return new LlamaConfig(
          arch,
          embedding,
          metadata.getInt(p + "block_count"),
          heads,
          metadata.getInt(p + "attention.head_count_kv", heads),
          metadata.getInt(p + "feed_forward_length"),
          metadata.getFloat(p + "attention.layer_norm_rms_epsilon"),
          metadata.getFloat(p + "rope.freq_base", DEFAULT_ROPE_FREQ_BASE),
          metadata.getInt(p + "rope.dimension_count", headSize),
          metadata.getInt(p + "context_length"),
          vocab,
          headSize);
    } catch (IllegalArgumentException e) {
      throw new GgufException(source + ": " + arch + " hyper-parameters: " + e.getMessage(), e);
    }
  }

  /**
   * Width of the queries of one position (and of the attention's output): {@code headCount *
   * headSize}, which is the embedding length unless the file sets a key length.
   */
  public int queryLength() {
    return headCount * headSize;
  }

  /** Width of the keys (and values) of one position: {@code headCountKv * headSize}. */
  public int kvLength() {
    return headCountKv * headSize();
  }

  /** Query heads sharing one key/value head. */
  public int groupSize() {
    return headCount / headCountKv;
  }

  /** {@code embedding / heads}, llama.cpp's head size when the file gives no key length. */
  private static int defaultHeadSize(int embedding, int heads) {
    positive("attention.head_count", heads);
    if (embedding % heads != 0) {
      throw new IllegalArgumentException(
          "embedding_length " + embedding + " is not a multiple of attention.head_count " + heads);
    }
    return embedding / heads;
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be >= 1 but was " + value);
    }
  }
}

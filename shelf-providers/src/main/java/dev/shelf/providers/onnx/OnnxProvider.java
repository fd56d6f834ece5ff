package dev.shelf.providers.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.providers.onnx.internal.Encoder;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Serves the {@link BundledModel}s' embeddings; the request's model is a bundled model's id or
 * alias. Inputs are strings (OpenAI's token-id inputs are refused: they are ids of OpenAI's
 * tokenizer, not of these models). Each input is tokenized and cut to the model's limit; inputs are
 * then sorted by length and run in batches of at most {@code maxBatch}, so padding stays small, and
 * the vectors are returned in the request's order. {@code usage.prompt_tokens} is the number of the
 * inputs' word pieces the model read (after cutting), without the {@code [CLS]} and {@code [SEP]}
 * it adds to each: the count LangChain4j reports for the same texts. {@code dimensions} is accepted
 * only when it equals the model's own: these models were not trained to be shortened.
 *
 * <p>Models load on first use, once per process (see {@link BundledModel#encoder()}). A request
 * runs on its caller's thread; a cancelled or timed-out call stops before its next batch.
 */
public final class OnnxProvider implements Provider {
  /** Inputs per forward pass when the provider's options do not say. */
  public static final int DEFAULT_MAX_BATCH = 32;

  private final String name;
  private final int maxBatch;

  public OnnxProvider(String name, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1 but was " + maxBatch);
    }
    this.name = name;
    this.maxBatch = maxBatch;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    throw notGenerative(request.model(), "chat completions (/v1/chat/completions)");
  }

  @Override
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    throw notGenerative(request.model(), "text completions (/v1/completions)");
  }

  private ProviderException notGenerative(String model, String what) {
    return new ProviderException(
        Kind.BAD_REQUEST,
        "'"
            + model
            + "' is an embedding model: it serves embeddings (/v1/embeddings), not "
            + what
            + ".",
        "unsupported_endpoint",
        "model",
        0,
        null,
        null);
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    BundledModel model = model(request.model());
    Integer dims = request.dimensions();
    if (dims != null && dims != model.dimensions()) {
      throw badRequest(
          model.id()
              + " makes "
              + model.dimensions()
              + "-dimensional embeddings and cannot shorten them; omit 'dimensions' or send "
              + model.dimensions()
              + " (got "
              + dims
              + ").",
          "dimensions");
    }
    List<String> texts = texts(request.input());
    Encoder encoder;
    try {
      encoder = model.encoder();
    } catch (RuntimeException e) {
      throw new ProviderException(
          Kind.UNAVAILABLE, "cannot load " + model.id() + ": " + e.getMessage(), e);
    }
    long[][] ids = new long[texts.size()][];
    int tokens = 0;
    for (int i = 0; i < ids.length; i++) {
      Encoder.Tokens t = encoder.tokenize(texts.get(i));
      ids[i] = t.ids();
      tokens += t.textTokens();
    }
    float[][] vectors = embed(encoder, ids, call);
    boolean base64 = "base64".equals(request.encodingFormat());
    var items = new ArrayList<EmbeddingResponse.Item>(vectors.length);
    for (int i = 0; i < vectors.length; i++) {
      items.add(new EmbeddingResponse.Item(i, EmbeddingResponse.encode(vectors[i], base64)));
    }
    return new EmbeddingResponse(items, request.model(), tokens);
  }

  /** Embeds every sequence, shortest first in batches of at most {@code maxBatch}. */
  float[][] embed(Encoder encoder, long[][] ids, Call call) {
    Integer[] order = new Integer[ids.length];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
    float[][] out = new float[ids.length][];
    for (int from = 0; from < order.length; from += maxBatch) {
      if (Thread.currentThread().isInterrupted()) {
        throw call.aborted(new InterruptedException("embedding interrupted"), "local embedding");
      }
      int to = Math.min(order.length, from + maxBatch);
      List<long[]> batch = new ArrayList<>(to - from);
      for (int k = from; k < to; k++) {
        batch.add(ids[order[k]]);
      }
      float[][] vs;
      try {
        vs = encoder.embed(batch);
      } catch (IllegalStateException e) {
        throw new ProviderException(Kind.UNAVAILABLE, String.valueOf(e.getMessage()), e);
      }
      for (int k = from; k < to; k++) {
        out[order[k]] = vs[k - from];
      }
    }
    return out;
  }

  private BundledModel model(String id) {
    BundledModel m = BundledModel.find(id);
    if (m == null) {
      throw new ProviderException(
          Kind.BAD_REQUEST,
          "The onnx provider '"
              + name
              + "' has no model '"
              + id
              + "'; its bundled models are "
              + Arrays.stream(BundledModel.values())
                  .map(BundledModel::id)
                  .collect(Collectors.joining(", "))
              + ".",
          "model_not_found",
          "model",
          0,
          null,
          null);
    }
    return m;
  }

  /** The request's texts; token ids and empty strings are refused, naming the input. */
  static List<String> texts(JsonNode input) {
    if (input.isTextual()) {
      return List.of(nonEmpty(input.textValue(), "input"));
    }
    if (!input.isArray() || input.isEmpty()) {
      throw badRequest("Invalid 'input': expected a string or a non-empty array of strings.", null);
    }
    if (input.get(0).isNumber()) {
      throw tokenIds("input");
    }
    List<String> out = new ArrayList<>(input.size());
    for (int i = 0; i < input.size(); i++) {
      JsonNode v = input.get(i);
      String at = "input[" + i + "]";
      if (!v.isTextual()) {
        throw v.isArray()
            ? tokenIds(at)
            : badRequest("Invalid '" + at + "': expected a string.", at);
      }
      out.add(nonEmpty(v.textValue(), at));
    }
    return out;
  }

  private static String nonEmpty(String s, String at) {
    if (s.isEmpty()) {
      throw badRequest("Invalid '" + at + "': string must not be empty.", at);
    }
    return s;
  }

  private static ProviderException tokenIds(String at) {
    return badRequest(
        "Invalid '"
            + at
            + "': local embedding models take text, not token ids (token ids are specific to"
            + " OpenAI's tokenizer).",
        at);
  }

  private static ProviderException badRequest(String message, @Nullable String param) {
    return new ProviderException(
        Kind.BAD_REQUEST, message, "invalid_request_error", param, 0, null, null);
  }
}

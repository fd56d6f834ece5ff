package dev.shelf.providers.gemini;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.providers.gemini.internal.Embeddings;
import dev.shelf.providers.gemini.internal.GeminiErrors;
import dev.shelf.providers.gemini.internal.GenerateContentRequest;
import dev.shelf.providers.gemini.internal.StreamTranslator;
import dev.shelf.providers.http.UpstreamHttp;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.sse.SseReader;
import java.io.IOException;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A provider for Google's Gemini API. Chat is always requested as a stream ({@code
 * :streamGenerateContent?alt=sse}); a non-streaming client gets the aggregated stream. Embeddings
 * go to {@code :batchEmbedContents}. Gemini has no legacy completions: those fail as bad requests
 * with code {@code unsupported_endpoint}.
 */
public final class GeminiProvider implements Provider {
  private final String name;
  private final GeminiOptions options;
  private final UpstreamHttp http;
  private final String versionPrefix;
  private final LongSupplier epochSeconds;

  /**
   * @param http the upstream at the API root, {@code https://generativelanguage.googleapis.com}; a
   *     root already ending in a version ({@code /v1beta}, {@code /v1}) is used as is
   */
  public GeminiProvider(
      String name, GeminiOptions options, UpstreamHttp http, LongSupplier epochSeconds) {
    this.name = name;
    this.options = options;
    this.http = http;
    this.versionPrefix =
        http.basePath().matches(".*/v[0-9][0-9a-z]*") ? "" : "/" + options.apiVersion();
    this.epochSeconds = epochSeconds;
  }

  @Override
  public String name() {
    return name;
  }

  public GeminiOptions options() {
    return options;
  }

  /** The request path of {@code method} ({@code streamGenerateContent}, …) for {@code model}. */
  String path(String model, String method) {
    return versionPrefix + "/" + GenerateContentRequest.modelPath(model) + ":" + method;
  }

  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    String path = path(request.model(), "streamGenerateContent") + "?alt=sse";
    ObjectNode body = GenerateContentRequest.toGenerateContent(request, options.safetySettings());
    // Gemini's calls have no ids: ours are unique per request, so a conversation never repeats one.
    String prefix = "call_" + String.format("%08x", call.requestId().hashCode()) + "_";
    var translator = new StreamTranslator(name, epochSeconds.getAsLong(), request.model(), prefix);
    try (var opened = http.post(path, Json.bytes(body), call, true)) {
      if (opened.contentType().startsWith("application/json")) {
        JsonNode json = Json.MAPPER.readTree(opened.body());
        JsonNode first = json != null && json.isArray() && !json.isEmpty() ? json.get(0) : json;
        if (first != null && first.path("error").isObject()) {
          throw GeminiErrors.inStream(name, first.get("error"));
        }
        throw new ProviderException(Kind.BROKEN_STREAM, name + " answered without a stream");
      }
      var reader = new SseReader(opened.body());
      boolean any = false;
      while (true) {
        SseReader.Event event = reader.next();
        if (event == null) {
          break;
        }
        if (event.bytes().length == 0) {
          continue;
        }
        JsonNode data;
        try {
          data = Json.MAPPER.readTree(event.bytes());
        } catch (JsonProcessingException e) {
          throw new ProviderException(
              Kind.BROKEN_STREAM, name + " sent a malformed stream event", e);
        }
        any = send(translator.onEvent(data), any, call, sink);
      }
      send(translator.end(), any, call, sink);
    } catch (IOException e) {
      throw http.readFailure(e, call);
    }
  }

  private static boolean send(
      List<ChatChunk> chunks, boolean any, Call call, ChunkSink<ChatChunk> sink) {
    boolean started = any;
    for (ChatChunk c : chunks) {
      if (!started) {
        started = true;
        call.firstChunk();
      }
      sink.accept(c);
    }
    return started;
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    String modelPath = GenerateContentRequest.modelPath(request.model());
    ObjectNode body = Embeddings.toBatchRequest(request, modelPath);
    int expected = body.path("requests").size();
    try (var opened =
        http.post(path(request.model(), "batchEmbedContents"), Json.bytes(body), call, false)) {
      JsonNode json;
      try {
        json = Json.MAPPER.readTree(opened.body());
      } catch (JsonProcessingException e) {
        throw new ProviderException(Kind.BROKEN_STREAM, name + " sent malformed embeddings", e);
      }
      if (json == null) {
        throw new ProviderException(Kind.BROKEN_STREAM, name + " sent no embeddings");
      }
      return Embeddings.fromBatchResponse(
          name, json, request.model(), expected, "base64".equals(request.encodingFormat()));
    } catch (IOException e) {
      throw http.readFailure(e, call);
    }
  }

  @Override
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    throw new ProviderException(
        Kind.BAD_REQUEST,
        name
            + " is a Gemini provider, and Gemini's API has no legacy text completions"
            + " (/v1/completions).",
        "unsupported_endpoint",
        null,
        0,
        null,
        null);
  }

  @Override
  public void close() {
    http.close();
  }
}

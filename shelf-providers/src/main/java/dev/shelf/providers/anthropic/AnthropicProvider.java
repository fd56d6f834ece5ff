package dev.shelf.providers.anthropic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.providers.anthropic.internal.AnthropicErrors;
import dev.shelf.providers.anthropic.internal.MessagesRequest;
import dev.shelf.providers.anthropic.internal.StreamTranslator;
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
 * A provider for Anthropic's Messages API. Chat is always requested as a stream; a non-streaming
 * client gets the aggregated stream. Anthropic has no embeddings and no legacy completions: those
 * fail as bad requests with code {@code unsupported_endpoint}.
 */
public final class AnthropicProvider implements Provider {
  private final String name;
  private final AnthropicOptions options;
  private final UpstreamHttp http;
  private final String messagesPath;
  private final LongSupplier epochSeconds;

  /**
   * @param http the upstream at the API root, {@code https://api.anthropic.com}; a root already
   *     ending in {@code /v1} is accepted too
   */
  public AnthropicProvider(
      String name, AnthropicOptions options, UpstreamHttp http, LongSupplier epochSeconds) {
    this.name = name;
    this.options = options;
    this.http = http;
    this.messagesPath = http.basePath().endsWith("/v1") ? "/messages" : "/v1/messages";
    this.epochSeconds = epochSeconds;
  }

  @Override
  public String name() {
    return name;
  }

  public AnthropicOptions options() {
    return options;
  }

  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    MessagesRequest.Translated body =
        MessagesRequest.toMessagesRequest(request, options.defaultMaxTokens());
    var translator = new StreamTranslator(name, epochSeconds.getAsLong(), body.jsonTool());
    try (var opened = http.post(messagesPath, Json.bytes(body.body()), call, true)) {
      if (opened.contentType().startsWith("application/json")) {
        JsonNode json = Json.MAPPER.readTree(opened.body());
        if (json != null && json.path("error").isObject()) {
          throw AnthropicErrors.inStream(name, json.get("error"));
        }
        throw new ProviderException(Kind.BROKEN_STREAM, name + " answered without a stream");
      }
      var reader = new SseReader(opened.body());
      boolean any = false;
      while (!translator.stopped()) {
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
        any = send(translator.onEvent(event.event(), data), any, call, sink);
      }
      send(translator.end(), any, call, sink);
      opened.finish();
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
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    throw unsupported("legacy text completions (/v1/completions)");
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    throw unsupported("embeddings (/v1/embeddings)");
  }

  private ProviderException unsupported(String what) {
    return new ProviderException(
        Kind.BAD_REQUEST,
        name + " is an Anthropic provider, and Anthropic's API has no " + what + ".",
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

package dev.shelf.providers.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunkCodec;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.providers.http.UpstreamHttp;
import dev.shelf.providers.openai.internal.UpstreamErrors;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.sse.SseReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A provider for any OpenAI-compatible endpoint. Chat and text completions are always requested as
 * streams (with usage asked for where the vendor supports it); a non-streaming client gets the
 * aggregated stream. An upstream that answers a stream request with plain JSON is accepted too.
 */
public final class OpenAiProvider implements Provider {
  private final String name;
  private final Preset preset;
  private final UpstreamHttp http;

  public OpenAiProvider(String name, Preset preset, UpstreamHttp http) {
    this.name = name;
    this.preset = preset;
    this.http = http;
  }

  @Override
  public String name() {
    return name;
  }

  public Preset preset() {
    return preset;
  }

  @Override
  public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
    ObjectNode body = preset.adapt(ChatRequestCodec.write(request));
    stream(
        "/chat/completions",
        body,
        call,
        sink,
        bytes -> ChatChunkCodec.readChunk(bytes, preset.reasoningField()),
        json -> ChatChunkCodec.readChunk(json, preset.reasoningField()),
        this::chatFromCompletion,
        chunk -> {
          boolean any = false;
          for (ChatChunk.Choice c : chunk.choices()) {
            any |= finishes(c.finishReason());
          }
          return any;
        });
  }

  @Override
  public void completion(CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
    ObjectNode body = request.write();
    body.put("stream", true);
    switch (preset.streamUsage()) {
      case INCLUDE_USAGE -> body.putObject("stream_options").put("include_usage", true);
      case ALWAYS, NONE -> body.remove("stream_options");
    }
    stream(
        "/completions",
        body,
        call,
        sink,
        bytes -> null, // legacy completions are rare: read as trees, errors checked
        CompletionChunk::read,
        CompletionChunk::read,
        chunk -> {
          boolean any = false;
          for (CompletionChunk.Choice c : chunk.choices()) {
            any |= finishes(c.finishReason());
          }
          return any;
        });
  }

  /** Whether a choice ended; a vendor's {@code network_error} finish is a failure. */
  private boolean finishes(@Nullable String reason) {
    if ("network_error".equals(reason)) {
      throw new ProviderException(
          Kind.BROKEN_STREAM, name + " ended the answer with a network error");
    }
    return reason != null;
  }

  @Override
  public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
    try (var opened = http.post("/embeddings", Json.bytes(request.write()), call, false)) {
      JsonNode json;
      try {
        json = Json.MAPPER.readTree(opened.body());
      } catch (IOException e) {
        throw http.readFailure(e, call);
      }
      checkBodyError(json);
      call.firstChunk();
      return EmbeddingResponse.read(json);
    }
  }

  /** Parses one event's JSON bytes. */
  @FunctionalInterface
  private interface ChunkParser<T> {
    /** The chunk, or null when the event must be read as a tree (it may report an error). */
    @Nullable T parse(byte[] json) throws IOException;
  }

  private <T> void stream(
      String path,
      ObjectNode body,
      Call call,
      ChunkSink<T> sink,
      ChunkParser<T> readChunk,
      Function<JsonNode, T> readTree,
      Function<JsonNode, T> readWhole,
      Predicate<T> finishes) {
    try (var opened = http.post(path, Json.bytes(body), call, true)) {
      if (opened.contentType().startsWith("application/json")) {
        // The upstream ignored stream=true and answered whole: one chunk carries it all.
        JsonNode json = Json.MAPPER.readTree(opened.body());
        checkBodyError(json);
        call.firstChunk();
        sink.accept(readWhole.apply(json));
        return;
      }
      var reader = new SseReader(opened.body());
      boolean any = false;
      boolean finished = false;
      SseReader.Event event;
      while ((event = reader.next()) != null) {
        byte[] data = event.bytes();
        if (data.length == 0) {
          continue;
        }
        if (event.isDone()) {
          finished = true;
          break;
        }
        T chunk;
        try {
          chunk = "error".equals(event.event()) ? null : readChunk.parse(data);
          if (chunk == null) {
            chunk = readChecked(data, "error".equals(event.event()), readTree);
          }
        } catch (JsonProcessingException e) {
          throw new ProviderException(
              Kind.BROKEN_STREAM, name + " sent a malformed stream event", e);
        }
        if (!any) {
          any = true;
          call.firstChunk();
        }
        finished |= finishes.test(chunk);
        sink.accept(chunk);
      }
      if (!finished) {
        throw new ProviderException(
            Kind.BROKEN_STREAM, "the stream from " + name + " ended before the answer did");
      }
      opened.finish();
    } catch (IOException e) {
      throw http.readFailure(e, call);
    }
  }

  /**
   * The slow path, for events the fast parser declined: an error report, a vendor's error status
   * beside a chunk (MiniMax {@code base_resp}), or an error event.
   */
  private <T> T readChecked(byte[] data, boolean errorEvent, Function<JsonNode, T> readTree)
      throws IOException {
    JsonNode json = Json.MAPPER.readTree(data);
    if (errorEvent || json.has("error")) {
      JsonNode err = json.has("error") ? json.get("error") : json;
      throw UpstreamErrors.inStream(name, err.isObject() ? err : Json.object());
    }
    checkBodyError(json);
    return readTree.apply(json);
  }

  /** MiniMax and others answer HTTP 200 with {@code base_resp.status_code != 0} on errors. */
  private void checkBodyError(JsonNode json) {
    if (json.has("error") && json.get("error").isObject()) {
      throw UpstreamErrors.inStream(name, json.get("error"));
    }
    if (preset.errorInBody()) {
      JsonNode base = json.path("base_resp");
      int code = base.path("status_code").asInt(0);
      if (code != 0) {
        Kind kind =
            code == 1002 || code == 1039
                ? Kind.RATE_LIMITED
                : code == 1004 || code == 2049
                    ? Kind.AUTH
                    : code == 1008 ? Kind.RATE_LIMITED : Kind.UNAVAILABLE;
        throw new ProviderException(
            kind, name + " reported error " + code, null, null, 200, null, null);
      }
    }
  }

  /** A whole {@code chat.completion} as one chunk, for upstreams that ignore {@code stream}. */
  private ChatChunk chatFromCompletion(JsonNode json) {
    List<ChatChunk.Choice> choices = new ArrayList<>();
    for (JsonNode c : json.path("choices")) {
      ChatMessage m = ChatChunkCodec.readMessage(c.path("message"), preset.reasoningField());
      List<ChatChunk.ToolCallDelta> calls = null;
      if (m.toolCalls() != null) {
        calls = new ArrayList<>();
        int i = 0;
        for (var t : m.toolCalls()) {
          calls.add(new ChatChunk.ToolCallDelta(i++, t.id(), t.name(), t.arguments()));
        }
      }
      choices.add(
          new ChatChunk.Choice(
              c.path("index").asInt(0),
              new ChatChunk.Delta("assistant", m.text(), m.reasoning(), calls, m.refusal()),
              c.path("finish_reason").asText("stop"),
              c.get("logprobs") == null || c.get("logprobs").isNull() ? null : c.get("logprobs")));
    }
    ChatCompletion whole =
        new ChatCompletion(
            json.path("id").asText(""),
            json.path("created").asLong(0),
            json.path("model").asText(""),
            null,
            List.of(),
            ChatChunkCodec.readUsage(json.get("usage")));
    return new ChatChunk(whole.id(), whole.created(), whole.model(), null, choices, whole.usage());
  }

  @Override
  public void close() {
    http.close();
  }
}

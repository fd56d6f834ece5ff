package dev.shelf.server.anthropic;

import dev.shelf.api.ApiException;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.providers.spi.ClientGoneException;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Relays a canonical chunk stream as Anthropic Messages events: {@code message_start}, content
 * blocks ({@code thinking}, {@code text}, {@code tool_use}) each with start, deltas and stop, then
 * {@code message_delta} with the stop reason and usage, then {@code message_stop}.
 *
 * <p>Text and thinking stream as they come. Tool calls are held until the answer ends and then sent
 * whole, one block each: OpenAI-style upstreams may interleave the argument fragments of parallel
 * calls, while Messages blocks cannot interleave, and only whole calls can be sent in order without
 * ever repeating or reordering a fragment. Only the first choice is relayed.
 */
public final class MessagesStream implements StreamListener<ChatChunk> {
  private final ServerResponse res;
  private final String id;
  private final int promptEstimate;
  private final Consumer<ServerResponse> headers;
  private @Nullable OutputStream out;
  private @Nullable String model;
  private int blockIndex;
  private @Nullable String openBlock; // "text" or "thinking" while one is open
  private final TreeMap<Integer, Call> calls = new TreeMap<>();
  private @Nullable String finish;
  private @Nullable Usage usage;
  private long relayedBytes;

  private static final class Call {
    @Nullable String id;
    final StringBuilder name = new StringBuilder();
    final StringBuilder arguments = new StringBuilder();
  }

  public MessagesStream(
      ServerResponse res, String id, int promptEstimate, Consumer<ServerResponse> headers) {
    this.res = res;
    this.id = id;
    this.promptEstimate = promptEstimate;
    this.headers = headers;
  }

  @Override
  public void begin(Exchange ex, Deployment d) {
    model = d.spec().id();
    res.status(200);
    res.header("content-type", "text/event-stream; charset=utf-8");
    res.header("cache-control", "no-cache");
    headers.accept(res);
    try {
      out = res.outputStream();
    } catch (RuntimeException e) {
      throw new ClientGoneException(e);
    }
    String m = model;
    event(
        "message_start",
        Json.write(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", "message_start");
              g.writeObjectFieldStart("message");
              g.writeStringField("id", id);
              g.writeStringField("type", "message");
              g.writeStringField("role", "assistant");
              g.writeStringField("model", m);
              g.writeArrayFieldStart("content");
              g.writeEndArray();
              g.writeNullField("stop_reason");
              g.writeNullField("stop_sequence");
              MessagesOut.writeUsage(g, new Usage(promptEstimate, 0, null, null));
              g.writeEndObject();
              g.writeEndObject();
            }));
  }

  @Override
  public void chunk(ChatChunk chunk) {
    if (chunk.usage() != null) {
      usage = chunk.usage();
    }
    for (ChatChunk.Choice c : chunk.choices()) {
      if (c.index() != 0) {
        continue;
      }
      ChatChunk.Delta d = c.delta();
      if (d.reasoning() != null && !d.reasoning().isEmpty()) {
        delta("thinking", "thinking_delta", "thinking", d.reasoning());
      }
      if (d.content() != null && !d.content().isEmpty()) {
        delta("text", "text_delta", "text", d.content());
      }
      if (d.toolCalls() != null) {
        for (ChatChunk.ToolCallDelta t : d.toolCalls()) {
          Call call = calls.computeIfAbsent(t.index(), i -> new Call());
          if (t.id() != null && call.id == null) {
            call.id = t.id();
          }
          if (t.name() != null) {
            call.name.append(t.name());
          }
          if (t.arguments() != null) {
            call.arguments.append(t.arguments());
            relayedBytes += t.arguments().length();
          }
        }
      }
      if (c.finishReason() != null) {
        finish = c.finishReason();
      }
    }
  }

  private void delta(String blockType, String deltaType, String field, String text) {
    relayedBytes += text.length();
    if (!blockType.equals(openBlock)) {
      closeBlock();
      block(
          "content_block_start",
          "content_block",
          blockIndex,
          g -> {
            g.writeStringField("type", blockType);
            g.writeStringField(field, "");
            if (blockType.equals("thinking")) {
              g.writeStringField("signature", "");
            }
          });
      openBlock = blockType;
    }
    block(
        "content_block_delta",
        "delta",
        blockIndex,
        g -> {
          g.writeStringField("type", deltaType);
          g.writeStringField(field, text);
        });
  }

  /** A {@code content_block_start} or {@code _delta} event: its index and one inner object. */
  private void block(String type, String inner, int index, Json.Writer fields) {
    event(
        type,
        Json.write(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", type);
              g.writeNumberField("index", index);
              g.writeObjectFieldStart(inner);
              fields.write(g);
              g.writeEndObject();
              g.writeEndObject();
            }));
  }

  private void closeBlock() {
    if (openBlock == null) {
      return;
    }
    stop(blockIndex);
    blockIndex++;
    openBlock = null;
  }

  private void stop(int index) {
    event(
        "content_block_stop",
        Json.write(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", "content_block_stop");
              g.writeNumberField("index", index);
              g.writeEndObject();
            }));
  }

  @Override
  public boolean committed() {
    return out != null;
  }

  @Override
  public void reset() {
    calls.clear();
    finish = null;
    usage = null;
    relayedBytes = 0;
  }

  public @Nullable Usage usage() {
    return usage;
  }

  /** Characters of answer relayed (text, thinking, tool arguments), for estimating usage. */
  public long relayedBytes() {
    return relayedBytes;
  }

  /** Ends the message: held tool calls, then the stop reason and usage, then message_stop. */
  public void finish(Usage finalUsage) {
    finish(finalUsage, null);
  }

  /**
   * As {@link #finish(Usage)}, with {@code extra} (a JSON field such as the AIGC label, ASCII)
   * added to the {@code message_stop} event.
   */
  public void finish(Usage finalUsage, byte @Nullable [] extra) {
    closeBlock();
    int n = 0;
    for (Call call : calls.values()) {
      int index = blockIndex;
      String callId = call.id != null ? call.id : "toolu_" + id + "_" + n;
      n++;
      block(
          "content_block_start",
          "content_block",
          index,
          g -> {
            g.writeStringField("type", "tool_use");
            g.writeStringField("id", callId);
            g.writeStringField("name", call.name.toString());
            g.writeObjectFieldStart("input");
            g.writeEndObject();
          });
      String args = call.arguments.toString();
      block(
          "content_block_delta",
          "delta",
          index,
          g -> {
            g.writeStringField("type", "input_json_delta");
            g.writeStringField("partial_json", args.isBlank() ? "{}" : args);
          });
      stop(index);
      blockIndex++;
    }
    String reason = MessagesOut.stopReason(calls.isEmpty() ? finish : "tool_calls");
    event(
        "message_delta",
        Json.write(
            g -> {
              g.writeStartObject();
              g.writeStringField("type", "message_delta");
              g.writeObjectFieldStart("delta");
              g.writeStringField("stop_reason", reason);
              g.writeNullField("stop_sequence");
              g.writeEndObject();
              MessagesOut.writeUsage(g, finalUsage);
              g.writeEndObject();
            }));
    String stop = "{\"type\":\"message_stop\"";
    if (extra != null) {
      stop += "," + new String(extra, StandardCharsets.US_ASCII);
    }
    event("message_stop", (stop + "}").getBytes(StandardCharsets.US_ASCII));
    close();
  }

  /** Ends a broken stream with an error event. */
  public void fail(ApiException e) {
    if (out == null) {
      return;
    }
    try {
      event("error", MessagesOut.error(e));
    } catch (ClientGoneException ignored) {
      // the client is gone as well
    }
    close();
  }

  private void event(String name, byte[] json) {
    OutputStream o = out;
    if (o == null) {
      throw new IllegalStateException("event before begin");
    }
    try {
      o.write(("event: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
      o.write(json);
      o.write('\n');
      o.write('\n');
      o.flush();
    } catch (IOException | UncheckedIOException | CloseConnectionException e) {
      throw new ClientGoneException(e);
    }
  }

  private void close() {
    OutputStream o = out;
    if (o != null) {
      try {
        o.close();
      } catch (IOException | UncheckedIOException | CloseConnectionException ignored) {
        // gone at the very end
      }
    }
  }
}

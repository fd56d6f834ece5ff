package dev.shelf.server.stub;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.server.stub.StubUpstream.Fragment;
import dev.shelf.server.stub.StubUpstream.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds an OpenAI-format chat completion stream as an upstream sends it: {@code
 * chat.completion.chunk} events (role, content deltas, tool-call deltas with index / id / name /
 * argument fragments, a finish chunk, a usage chunk with empty choices), comments, error events and
 * {@code [DONE]}, with LF or CRLF line endings. The bytes can then be replayed whole, one event per
 * fragment, or cut anywhere by {@link Response#split} and {@link Response#pieces}.
 */
public final class ChatStream {
  /** An event: a JSON payload (sent as one {@code data:} line) or raw lines. */
  private sealed interface Event {}

  private record Data(ObjectNode json) implements Event {}

  private record Raw(String lines) implements Event {}

  private final String id;
  private final String model;
  private final List<Event> events = new ArrayList<>();
  private final StringBuilder content = new StringBuilder();
  private String eol = "\n";

  private ChatStream(String id, String model) {
    this.id = id;
    this.model = model;
  }

  /** A stream as the upstream model {@code model} sends it. */
  public static ChatStream of(String model) {
    return new ChatStream("chatcmpl-upstream-1", model);
  }

  /** A bare chunk with one choice (index 0) and the given delta. */
  public ObjectNode chunk(ObjectNode delta, String finishReason) {
    ObjectNode c = Json.object();
    c.put("id", id);
    c.put("object", "chat.completion.chunk");
    c.put("created", 1_750_000_000L);
    c.put("model", model);
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return c;
  }

  /** The first chunk: role assistant, empty content. */
  public ChatStream role() {
    return data(chunk(Json.object().put("role", "assistant").put("content", ""), null));
  }

  public ChatStream content(String text) {
    content.append(text);
    return data(chunk(Json.object().put("content", text), null));
  }

  /** A reasoning delta in the vendor's field ({@code reasoning_content} or {@code reasoning}). */
  public ChatStream reasoning(String field, String text) {
    return data(chunk(Json.object().put(field, text), null));
  }

  /** The first delta of a tool call: index, id, type and name, empty arguments. */
  public ChatStream toolCall(int index, String callId, String name) {
    ObjectNode delta = Json.object();
    ObjectNode call = delta.putArray("tool_calls").addObject();
    call.put("index", index).put("id", callId).put("type", "function");
    call.putObject("function").put("name", name).put("arguments", "");
    return data(chunk(delta, null));
  }

  /** A fragment of a tool call's arguments, by index only (as OpenAI streams them). */
  public ChatStream toolArgs(int index, String fragment) {
    ObjectNode delta = Json.object();
    ArrayNode calls = delta.putArray("tool_calls");
    calls.addObject().put("index", index).putObject("function").put("arguments", fragment);
    return data(chunk(delta, null));
  }

  /** The finish chunk: empty delta and the reason. */
  public ChatStream finish(String reason) {
    return data(chunk(Json.object(), reason));
  }

  /** The usage chunk OpenAI sends with include_usage: empty choices and usage. */
  public ChatStream usage(int prompt, int completion) {
    ObjectNode c = Json.object();
    c.put("id", id);
    c.put("object", "chat.completion.chunk");
    c.put("created", 1_750_000_000L);
    c.put("model", model);
    c.putArray("choices");
    c.set("usage", usageJson(prompt, completion));
    return data(c);
  }

  public static ObjectNode usageJson(int prompt, int completion) {
    return Json.object()
        .put("prompt_tokens", prompt)
        .put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
  }

  /** An error event as vendors send it mid-stream: {@code data: {"error": {...}}}. */
  public ChatStream error(String message, String type, String code) {
    ObjectNode e = Json.object();
    e.putObject("error").put("message", message).put("type", type).put("code", code);
    return data(e);
  }

  /** Any JSON payload as a {@code data:} event. */
  public ChatStream data(ObjectNode json) {
    events.add(new Data(json));
    return this;
  }

  /** Any payload text as a {@code data:} event, byte for byte. */
  public ChatStream data(String payload) {
    events.add(new Raw("data: " + payload));
    return this;
  }

  /** An SSE comment ({@code : keep-alive}), followed by a blank line as servers send them. */
  public ChatStream comment(String text) {
    events.add(new Raw(":" + (text.isEmpty() ? "" : " " + text)));
    return this;
  }

  /** Arbitrary raw lines (joined with the stream's line ending) then a blank line. */
  public ChatStream raw(String... lines) {
    events.add(new Raw(String.join("\u0000", lines)));
    return this;
  }

  public ChatStream done() {
    events.add(new Raw("data: [DONE]"));
    return this;
  }

  /** Changes the most recent JSON event (e.g. to put usage on a content chunk). */
  public ChatStream last(Consumer<ObjectNode> change) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i) instanceof Data d) {
        change.accept(d.json());
        return this;
      }
    }
    throw new IllegalStateException("no JSON event yet");
  }

  /** Changes every JSON event that has choices. */
  public ChatStream everyChunk(Consumer<ObjectNode> change) {
    for (Event e : events) {
      if (e instanceof Data d && d.json().path("choices").size() > 0) {
        change.accept(d.json());
      }
    }
    return this;
  }

  /** Ends lines with CRLF instead of LF. */
  public ChatStream crlf() {
    eol = "\r\n";
    return this;
  }

  /** The text of all content deltas, in order. */
  public String content() {
    return content.toString();
  }

  /** The events' texts, each ending in a blank line. */
  public List<String> eventTexts() {
    var out = new ArrayList<String>();
    for (Event e : events) {
      String lines =
          switch (e) {
            case Data d -> "data: " + Json.string(d.json());
            case Raw r -> r.lines().replace("\u0000", eol);
          };
      out.add(lines + eol + eol);
    }
    return out;
  }

  public String text() {
    return String.join("", eventTexts());
  }

  public byte[] bytes() {
    return text().getBytes(StandardCharsets.UTF_8);
  }

  /** One fragment per event, chunked framing. */
  public Response.Sse response() {
    return Response.sse(eventTexts().stream().map(Fragment::of).toList());
  }

  /** A whole {@code chat.completion} (for upstreams that ignore {@code stream}). */
  public static ObjectNode completion(String model, String text, String finish, int p, int c) {
    ObjectNode o = Json.object();
    o.put("id", "chatcmpl-upstream-whole");
    o.put("object", "chat.completion");
    o.put("created", 1_750_000_000L);
    o.put("model", model);
    ObjectNode choice = o.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", text);
    choice.putNull("logprobs");
    choice.put("finish_reason", finish);
    o.set("usage", usageJson(p, c));
    return o;
  }
}

package dev.shelf.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.ChatMessage.ToolCall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Chunks and completions to and from OpenAI JSON. Reading is lenient (upstreams differ in what they
 * omit); writing is exact (what OpenAI sends, so strict SDKs validate it).
 */
public final class ChatChunkCodec {
  private ChatChunkCodec() {}

  /**
   * Reads an upstream chunk. {@code reasoningField} names the vendor's field for reasoning text
   * ({@code reasoning_content} or {@code reasoning}); both are read, that one first.
   */
  public static ChatChunk readChunk(JsonNode node, String reasoningField) {
    ObjectNode o = Fields.requireObject(node, "chunk");
    ObjectNode plain = o;
    if (o.has("error") || o.has("base_resp")) {
      plain = o.deepCopy(); // read as a chunk regardless; callers check errors on the tree
      plain.remove("error");
      plain.remove("base_resp");
    }
    try (JsonParser p = plain.traverse(Json.MAPPER)) {
      ChatChunk c = ChunkReader.read(p, reasoningField);
      if (c == null) {
        throw new IllegalStateException("unreachable: error fields were removed");
      }
      return c;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads an upstream chunk from the bytes of an SSE event, without building a tree. Returns null
   * when the event carries a top-level {@code error} or {@code base_resp} field instead (an error
   * report the caller reads as a tree).
   */
  public static @Nullable ChatChunk readChunk(byte[] json, String reasoningField)
      throws IOException {
    try (JsonParser p = Json.MAPPER.createParser(json)) {
      return ChunkReader.read(p, reasoningField);
    }
  }

  private static Delta readDelta(JsonNode d, String reasoningField) {
    try (JsonParser p = d.traverse(Json.MAPPER)) {
      return ChunkReader.delta(p, p.nextToken(), reasoningField);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a whole response message leniently (for upstreams that answer without streaming). */
  public static ChatMessage readMessage(JsonNode m, String reasoningField) {
    Delta d = readDelta(m, reasoningField);
    List<ToolCall> calls = null;
    if (d.toolCalls() != null) {
      calls = new ArrayList<>();
      for (ToolCallDelta t : d.toolCalls()) {
        calls.add(
            new ToolCall(
                t.id() == null ? "call_" + t.index() : t.id(),
                t.name() == null ? "" : t.name(),
                t.arguments() == null ? "" : t.arguments()));
      }
    }
    return new ChatMessage(
        d.role() == null ? "assistant" : d.role(),
        d.content(),
        null,
        null,
        calls,
        null,
        d.reasoning(),
        d.refusal(),
        null);
  }

  public static @Nullable Usage readUsage(@Nullable JsonNode u) {
    if (u == null || !u.isObject()) {
      return null;
    }
    Integer cached = intOrNull(u.path("prompt_tokens_details").get("cached_tokens"));
    if (cached == null) {
      cached = intOrNull(u.get("prompt_cache_hit_tokens")); // DeepSeek
    }
    return new Usage(
        u.path("prompt_tokens").asInt(0),
        u.path("completion_tokens").asInt(0),
        cached,
        intOrNull(u.path("completion_tokens_details").get("reasoning_tokens")));
  }

  public static byte[] writeChunk(ChatChunk c) {
    return Json.write(g -> writeChunk(g, c));
  }

  public static void writeChunk(JsonGenerator g, ChatChunk c) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", c.id());
    g.writeStringField("object", "chat.completion.chunk");
    g.writeNumberField("created", c.created());
    g.writeStringField("model", c.model());
    if (c.systemFingerprint() != null) {
      g.writeStringField("system_fingerprint", c.systemFingerprint());
    }
    g.writeArrayFieldStart("choices");
    for (Choice ch : c.choices()) {
      g.writeStartObject();
      g.writeNumberField("index", ch.index());
      writeDelta(g, ch.delta());
      writeLogprobs(g, ch.logprobs());
      writeNullableString(g, "finish_reason", ch.finishReason());
      g.writeEndObject();
    }
    g.writeEndArray();
    if (c.usage() != null) {
      writeUsage(g, c.usage());
    }
    g.writeEndObject();
  }

  private static void writeDelta(JsonGenerator g, Delta d) throws IOException {
    g.writeObjectFieldStart("delta");
    if (d.role() != null) {
      g.writeStringField("role", d.role());
    }
    if (d.content() != null) {
      g.writeStringField("content", d.content());
    }
    if (d.reasoning() != null) {
      g.writeStringField("reasoning_content", d.reasoning());
    }
    if (d.refusal() != null) {
      g.writeStringField("refusal", d.refusal());
    }
    if (d.toolCalls() != null) {
      g.writeArrayFieldStart("tool_calls");
      for (ToolCallDelta t : d.toolCalls()) {
        g.writeStartObject();
        g.writeNumberField("index", t.index());
        if (t.id() != null) {
          g.writeStringField("id", t.id());
          g.writeStringField("type", "function");
        }
        g.writeObjectFieldStart("function");
        if (t.name() != null) {
          g.writeStringField("name", t.name());
        }
        if (t.arguments() != null) {
          g.writeStringField("arguments", t.arguments());
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }

  public static byte[] writeCompletion(ChatCompletion c) {
    return Json.write(g -> writeCompletion(g, c));
  }

  public static void writeCompletion(JsonGenerator g, ChatCompletion c) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", c.id());
    g.writeStringField("object", "chat.completion");
    g.writeNumberField("created", c.created());
    g.writeStringField("model", c.model());
    if (c.systemFingerprint() != null) {
      g.writeStringField("system_fingerprint", c.systemFingerprint());
    }
    g.writeArrayFieldStart("choices");
    for (ChatCompletion.Choice ch : c.choices()) {
      g.writeStartObject();
      g.writeNumberField("index", ch.index());
      ChatMessage m = ch.message();
      g.writeObjectFieldStart("message");
      g.writeStringField("role", m.role());
      writeNullableString(g, "content", m.text());
      if (m.reasoning() != null) {
        g.writeStringField("reasoning_content", m.reasoning());
      }
      writeNullableString(g, "refusal", m.refusal());
      if (m.toolCalls() != null) {
        g.writeArrayFieldStart("tool_calls");
        for (ToolCall t : m.toolCalls()) {
          g.writeStartObject();
          g.writeStringField("id", t.id());
          g.writeStringField("type", "function");
          g.writeObjectFieldStart("function");
          g.writeStringField("name", t.name());
          g.writeStringField("arguments", t.arguments());
          g.writeEndObject();
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
      writeLogprobs(g, ch.logprobs());
      g.writeStringField("finish_reason", ch.finishReason());
      g.writeEndObject();
    }
    g.writeEndArray();
    if (c.usage() != null) {
      writeUsage(g, c.usage());
    }
    g.writeEndObject();
  }

  public static void writeUsage(JsonGenerator g, Usage u) throws IOException {
    g.writeObjectFieldStart("usage");
    g.writeNumberField("prompt_tokens", u.promptTokens());
    g.writeNumberField("completion_tokens", u.completionTokens());
    g.writeNumberField("total_tokens", u.totalTokens());
    if (u.cachedTokens() != null) {
      g.writeObjectFieldStart("prompt_tokens_details");
      g.writeNumberField("cached_tokens", u.cachedTokens());
      g.writeEndObject();
    }
    if (u.reasoningTokens() != null) {
      g.writeObjectFieldStart("completion_tokens_details");
      g.writeNumberField("reasoning_tokens", u.reasoningTokens());
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static void writeLogprobs(JsonGenerator g, @Nullable JsonNode logprobs)
      throws IOException {
    g.writeFieldName("logprobs");
    if (logprobs == null) {
      g.writeNull();
    } else {
      Json.MAPPER.writeTree(g, logprobs);
    }
  }

  private static void writeNullableString(JsonGenerator g, String name, @Nullable String v)
      throws IOException {
    if (v == null) {
      g.writeNullField(name);
    } else {
      g.writeStringField(name, v);
    }
  }

  static @Nullable String text(@Nullable JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  private static @Nullable JsonNode nonNull(@Nullable JsonNode n) {
    return n == null || n.isNull() ? null : n;
  }

  private static @Nullable Integer intOrNull(@Nullable JsonNode n) {
    return n == null || !n.isNumber() ? null : n.intValue();
  }

  /** Appends logprobs content arrays (streamed per chunk) into one. */
  static JsonNode mergeLogprobs(@Nullable JsonNode acc, JsonNode next) {
    if (acc == null) {
      return next.deepCopy();
    }
    ObjectNode merged = (ObjectNode) acc;
    next.properties()
        .forEach(
            e -> {
              JsonNode have = merged.get(e.getKey());
              if (have instanceof ArrayNode arr && e.getValue().isArray()) {
                arr.addAll((ArrayNode) e.getValue());
              } else if (have == null || have.isNull()) {
                merged.set(e.getKey(), e.getValue());
              }
            });
    return merged;
  }
}

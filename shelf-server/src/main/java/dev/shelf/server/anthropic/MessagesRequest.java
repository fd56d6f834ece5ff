package dev.shelf.server.anthropic;

import static dev.shelf.api.Fields.bool;
import static dev.shelf.api.Fields.integer;
import static dev.shelf.api.Fields.number;
import static dev.shelf.api.Fields.present;
import static dev.shelf.api.Fields.requireObject;
import static dev.shelf.api.Fields.requireString;
import static dev.shelf.api.Fields.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatMessage.ContentPart;
import dev.shelf.api.ChatMessage.ToolCall;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.Fields;
import dev.shelf.api.Json;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An Anthropic Messages request, validated as Anthropic does, translated to Shelf's canonical chat
 * request.
 *
 * <p>What is lost in translation: {@code top_k} is passed through as an extra field (OpenAI-style
 * upstreams may ignore it); {@code thinking} is passed through (and becomes {@code
 * reasoning_effort} for OpenAI-style upstreams only when they understand it); {@code cache_control}
 * markers travel as extra fields of their blocks; {@code document} and other block types Shelf does
 * not know are passed as raw parts; thinking blocks in earlier assistant turns become the message's
 * reasoning text (their signatures are dropped).
 */
public final class MessagesRequest {
  private MessagesRequest() {}

  public static ChatRequest read(JsonNode body, boolean forCounting) {
    ObjectNode o = requireObject(body, "body");
    String model = requireString(o, "model", "model");
    Integer maxTokens = integer(o, "max_tokens", "max_tokens", 1, Integer.MAX_VALUE);
    if (maxTokens == null && !forCounting) {
      throw ApiException.invalid("max_tokens", "max_tokens: Field required");
    }
    var messages = new ArrayList<ChatMessage>();
    JsonNode system = present(o, "system");
    if (system != null) {
      messages.add(
          new ChatMessage(
              "system", text(system, "system"), null, null, null, null, null, null, null));
    }
    JsonNode ms = present(o, "messages");
    if (ms == null || !ms.isArray() || ms.isEmpty()) {
      throw ApiException.invalid("messages", "messages: at least one message is required");
    }
    for (int i = 0; i < ms.size(); i++) {
      readMessage(requireObject(ms.get(i), "messages." + i), "messages." + i, messages);
    }
    boolean stream = Boolean.TRUE.equals(bool(o, "stream", "stream"));
    ObjectNode extra = Json.object();
    JsonNode topK = present(o, "top_k");
    if (topK != null) {
      extra.set("top_k", topK);
    }
    JsonNode thinking = present(o, "thinking");
    if (thinking != null) {
      extra.set("thinking", thinking);
    }
    List<ChatRequest.Tool> tools = tools(o);
    JsonNode toolChoice = null;
    Boolean parallel = null;
    JsonNode tc = present(o, "tool_choice");
    if (tc != null) {
      ObjectNode c = requireObject(tc, "tool_choice");
      String type = requireString(c, "type", "tool_choice.type");
      toolChoice =
          switch (type) {
            case "auto" -> TextNode.valueOf("auto");
            case "any" -> TextNode.valueOf("required");
            case "none" -> TextNode.valueOf("none");
            case "tool" -> {
              ObjectNode named = Json.object().put("type", "function");
              named.putObject("function").put("name", requireString(c, "name", "tool_choice.name"));
              yield named;
            }
            default ->
                throw ApiException.invalid(
                    "tool_choice.type",
                    "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
          };
      if (Boolean.TRUE.equals(
          bool(c, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use"))) {
        parallel = false;
      }
    }
    List<String> stops = null;
    JsonNode ss = present(o, "stop_sequences");
    if (ss != null) {
      if (!ss.isArray()) {
        throw Fields.typeError("stop_sequences", "an array of strings", ss);
      }
      stops = new ArrayList<>();
      for (JsonNode s : ss) {
        stops.add(s.asText());
      }
    }
    String user = null;
    JsonNode metadata = present(o, "metadata");
    if (metadata != null) {
      user = string(requireObject(metadata, "metadata"), "user_id", "metadata.user_id");
    }
    return new ChatRequest(
        model,
        messages,
        stream,
        stream,
        tools,
        toolChoice,
        parallel,
        null,
        stops,
        maxTokens,
        null,
        number(o, "temperature", "temperature", 0, 1),
        number(o, "top_p", "top_p", 0, 1),
        null,
        null,
        null,
        null,
        null,
        null,
        user,
        extra);
  }

  private static void readMessage(ObjectNode m, String at, List<ChatMessage> out) {
    String role = requireString(m, "role", at + ".role");
    if (!role.equals("user") && !role.equals("assistant")) {
      throw ApiException.invalid(at + ".role", at + ".role: Input should be 'user' or 'assistant'");
    }
    JsonNode content = present(m, "content");
    if (content == null) {
      throw ApiException.invalid(at + ".content", at + ".content: Field required");
    }
    if (content.isTextual()) {
      out.add(ChatMessage.of(role, content.textValue()));
      return;
    }
    if (!content.isArray()) {
      throw Fields.typeError(at + ".content", "a string or a list of content blocks", content);
    }
    var parts = new ArrayList<ContentPart>();
    var calls = new ArrayList<ToolCall>();
    var reasoning = new StringBuilder();
    for (int i = 0; i < content.size(); i++) {
      String bat = at + ".content." + i;
      ObjectNode b = requireObject(content.get(i), bat);
      String type = requireString(b, "type", bat + ".type");
      switch (type) {
        case "text" ->
            parts.add(
                new ContentPart.Text(requireString(b, "text", bat + ".text"), cacheControl(b)));
        case "image" -> parts.add(image(requireObject(b.path("source"), bat + ".source"), bat));
        case "tool_use" -> {
          if (!role.equals("assistant")) {
            throw ApiException.invalid(bat, bat + ": tool_use blocks belong to assistant turns");
          }
          JsonNode input = b.get("input");
          calls.add(
              new ToolCall(
                  requireString(b, "id", bat + ".id"),
                  requireString(b, "name", bat + ".name"),
                  input == null || input.isNull() ? "{}" : Json.string(input)));
        }
        case "tool_result" -> {
          flushUser(role, parts, out);
          String id = requireString(b, "tool_use_id", bat + ".tool_use_id");
          JsonNode rc = b.get("content");
          String text = rc == null || rc.isNull() ? "" : text(rc, bat + ".content");
          if (Boolean.TRUE.equals(bool(b, "is_error", bat + ".is_error"))) {
            text = "Error: " + text; // lossy: chat tool messages have no error flag
          }
          out.add(new ChatMessage("tool", text, null, null, null, id, null, null, null));
        }
        case "thinking" -> reasoning.append(b.path("thinking").asText(""));
        case "redacted_thinking" -> {} // opaque to every other vendor; dropped
        default -> parts.add(new ContentPart.Other(b));
      }
    }
    if (role.equals("assistant")) {
      String text = joinText(parts);
      out.add(
          new ChatMessage(
              "assistant",
              calls.isEmpty() || !text.isEmpty() ? text : null,
              null,
              null,
              calls.isEmpty() ? null : calls,
              null,
              reasoning.isEmpty() ? null : reasoning.toString(),
              null,
              null));
    } else {
      flushUser(role, parts, out);
    }
  }

  /** User content gathered so far becomes one message (tool results must come in their order). */
  private static void flushUser(String role, List<ContentPart> parts, List<ChatMessage> out) {
    if (parts.isEmpty() || !role.equals("user")) {
      return;
    }
    boolean plain =
        parts.stream().allMatch(p -> p instanceof ContentPart.Text t && t.extra() == null);
    out.add(
        plain
            ? ChatMessage.of("user", joinText(parts))
            : new ChatMessage(
                "user", null, List.copyOf(parts), null, null, null, null, null, null));
    parts.clear();
  }

  private static String joinText(List<ContentPart> parts) {
    var sb = new StringBuilder();
    for (ContentPart p : parts) {
      if (p instanceof ContentPart.Text t) {
        sb.append(t.text());
      }
    }
    return sb.toString();
  }

  private static ContentPart image(ObjectNode source, String at) {
    String type = requireString(source, "type", at + ".source.type");
    return switch (type) {
      case "base64" ->
          new ContentPart.Image(
              "data:"
                  + requireString(source, "media_type", at + ".source.media_type")
                  + ";base64,"
                  + requireString(source, "data", at + ".source.data"),
              null);
      case "url" -> new ContentPart.Image(requireString(source, "url", at + ".source.url"), null);
      default ->
          throw ApiException.invalid(
              at + ".source.type", at + ".source.type: Input should be 'base64' or 'url'");
    };
  }

  private static @Nullable ObjectNode cacheControl(ObjectNode b) {
    JsonNode cc = b.get("cache_control");
    return cc == null ? null : Json.object().set("cache_control", cc);
  }

  /** A string, or text blocks joined. */
  private static String text(JsonNode n, String at) {
    if (n.isTextual()) {
      return n.textValue();
    }
    if (!n.isArray()) {
      throw Fields.typeError(at, "a string or a list of text blocks", n);
    }
    var sb = new StringBuilder();
    for (JsonNode b : n) {
      if ("text".equals(b.path("type").asText())) {
        if (!sb.isEmpty()) {
          sb.append('\n');
        }
        sb.append(b.path("text").asText());
      }
    }
    return sb.toString();
  }

  private static @Nullable List<ChatRequest.Tool> tools(ObjectNode o) {
    JsonNode ts = present(o, "tools");
    if (ts == null) {
      return null;
    }
    if (!ts.isArray()) {
      throw Fields.typeError("tools", "an array", ts);
    }
    var tools = new ArrayList<ChatRequest.Tool>();
    for (int i = 0; i < ts.size(); i++) {
      ObjectNode t = requireObject(ts.get(i), "tools." + i);
      JsonNode schema = present(t, "input_schema");
      if (schema == null || !schema.isObject()) {
        throw ApiException.invalid(
            "tools." + i + ".input_schema", "tools." + i + ".input_schema: Field required");
      }
      tools.add(
          new ChatRequest.Tool(
              requireString(t, "name", "tools." + i + ".name"),
              string(t, "description", "tools." + i + ".description"),
              schema,
              null,
              cacheControl(t)));
    }
    return tools;
  }
}

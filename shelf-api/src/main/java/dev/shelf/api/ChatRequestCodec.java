package dev.shelf.api;

import static dev.shelf.api.Fields.bool;
import static dev.shelf.api.Fields.integer;
import static dev.shelf.api.Fields.longValue;
import static dev.shelf.api.Fields.number;
import static dev.shelf.api.Fields.present;
import static dev.shelf.api.Fields.requireObject;
import static dev.shelf.api.Fields.requireString;
import static dev.shelf.api.Fields.string;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatMessage.ContentPart;
import dev.shelf.api.ChatMessage.ToolCall;
import dev.shelf.api.ChatRequest.ResponseFormat;
import dev.shelf.api.ChatRequest.Tool;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a chat request from OpenAI JSON, validating as OpenAI does (errors name the parameter), and
 * writes the canonical form back to OpenAI JSON for OpenAI-compatible upstreams. Unknown top-level
 * and message fields survive the round trip.
 */
public final class ChatRequestCodec {
  private static final Set<String> KNOWN =
      Set.of(
          "model",
          "messages",
          "stream",
          "stream_options",
          "tools",
          "tool_choice",
          "parallel_tool_calls",
          "response_format",
          "stop",
          "max_tokens",
          "max_completion_tokens",
          "temperature",
          "top_p",
          "seed",
          "n",
          "logprobs",
          "top_logprobs",
          "presence_penalty",
          "frequency_penalty",
          "user");
  private static final Set<String> KNOWN_MESSAGE =
      Set.of(
          "role", "content", "name", "tool_calls", "tool_call_id", "reasoning_content", "refusal");
  private static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool", "function");
  private static final Pattern TOOL_NAME = Pattern.compile("[a-zA-Z0-9_.\\-]{1,64}");

  private ChatRequestCodec() {}

  public static ChatRequest read(JsonNode body) {
    ObjectNode o = requireObject(body, "body");
    String model = requireString(o, "model", "model");
    if (model.isBlank()) {
      throw ApiException.invalid("model", "Invalid 'model': must not be empty.");
    }
    List<ChatMessage> messages = readMessages(o);
    boolean stream = Boolean.TRUE.equals(bool(o, "stream", "stream"));
    boolean includeUsage = false;
    JsonNode so = present(o, "stream_options");
    if (so != null) {
      ObjectNode opts = requireObject(so, "stream_options");
      if (!stream) {
        throw ApiException.invalid(
            "stream_options",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
      }
      includeUsage =
          Boolean.TRUE.equals(bool(opts, "include_usage", "stream_options.include_usage"));
    }
    List<Tool> tools = readTools(o);
    JsonNode toolChoice = readToolChoice(o, tools);
    Integer n = integer(o, "n", "n", 1, 128);
    Boolean logprobs = bool(o, "logprobs", "logprobs");
    Integer topLogprobs = integer(o, "top_logprobs", "top_logprobs", 0, 20);
    if (topLogprobs != null && !Boolean.TRUE.equals(logprobs)) {
      throw ApiException.invalid(
          "top_logprobs", "Invalid 'top_logprobs': 'logprobs' must be set to true.");
    }
    ObjectNode extra = Fields.extras(o, KNOWN);
    return new ChatRequest(
        model,
        messages,
        stream,
        includeUsage,
        tools,
        toolChoice,
        bool(o, "parallel_tool_calls", "parallel_tool_calls"),
        readResponseFormat(o),
        readStop(o),
        integer(o, "max_tokens", "max_tokens", 1, Integer.MAX_VALUE),
        integer(o, "max_completion_tokens", "max_completion_tokens", 1, Integer.MAX_VALUE),
        number(o, "temperature", "temperature", 0, 2),
        number(o, "top_p", "top_p", 0, 1),
        longValue(o, "seed", "seed", Long.MIN_VALUE, Long.MAX_VALUE),
        n,
        logprobs,
        topLogprobs,
        number(o, "presence_penalty", "presence_penalty", -2, 2),
        number(o, "frequency_penalty", "frequency_penalty", -2, 2),
        string(o, "user", "user"),
        extra);
  }

  private static List<ChatMessage> readMessages(ObjectNode o) {
    JsonNode node = present(o, "messages");
    if (node == null) {
      throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
    }
    if (!node.isArray()) {
      throw Fields.typeError("messages", "an array", node);
    }
    if (node.isEmpty()) {
      throw ApiException.invalid(
          "messages", "Invalid 'messages': empty array. Expected an array with minimum length 1.");
    }
    var out = new ArrayList<ChatMessage>(node.size());
    for (int i = 0; i < node.size(); i++) {
      out.add(readMessage(node.get(i), "messages[" + i + "]"));
    }
    return out;
  }

  static ChatMessage readMessage(JsonNode node, String at) {
    ObjectNode m = requireObject(node, at);
    String role = requireString(m, "role", at + ".role");
    if (!ROLES.contains(role)) {
      throw ApiException.invalid(
          at + ".role",
          "Invalid value: '"
              + role
              + "'. Supported values are: 'system', 'developer', 'user',"
              + " 'assistant', 'tool' and 'function'.");
    }
    String text = null;
    List<ContentPart> parts = null;
    JsonNode content = present(m, "content");
    if (content != null) {
      if (content.isTextual()) {
        text = content.textValue();
      } else if (content.isArray()) {
        parts = readParts((ArrayNode) content, at + ".content");
      } else {
        throw Fields.typeError(at + ".content", "a string or an array", content);
      }
    }
    List<ToolCall> toolCalls = readToolCalls(m, at);
    String toolCallId = string(m, "tool_call_id", at + ".tool_call_id");
    if (role.equals("tool") && toolCallId == null) {
      throw ApiException.invalid(
          at + ".tool_call_id", "Missing required parameter: '" + at + ".tool_call_id'.");
    }
    if (content == null && toolCalls == null && !role.equals("assistant")) {
      throw ApiException.invalid(
          at + ".content", "Missing required parameter: '" + at + ".content'.");
    }
    ObjectNode extra = unknown(m, KNOWN_MESSAGE);
    return new ChatMessage(
        role,
        text,
        parts,
        string(m, "name", at + ".name"),
        toolCalls,
        toolCallId,
        string(m, "reasoning_content", at + ".reasoning_content"),
        string(m, "refusal", at + ".refusal"),
        extra);
  }

  private static List<ContentPart> readParts(ArrayNode array, String at) {
    var parts = new ArrayList<ContentPart>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String pat = at + "[" + i + "]";
      ObjectNode p = requireObject(array.get(i), pat);
      String type = requireString(p, "type", pat + ".type");
      switch (type) {
        case "text" ->
            parts.add(
                new ContentPart.Text(
                    requireString(p, "text", pat + ".text"), unknown(p, Set.of("type", "text"))));
        case "image_url" -> {
          JsonNode img = present(p, "image_url");
          if (img == null) {
            throw ApiException.invalid(
                pat + ".image_url", "Missing required parameter: '" + pat + ".image_url'.");
          }
          String url;
          String detail = null;
          if (img.isTextual()) {
            url = img.textValue();
          } else {
            ObjectNode io = requireObject(img, pat + ".image_url");
            url = requireString(io, "url", pat + ".image_url.url");
            detail = string(io, "detail", pat + ".image_url.detail");
          }
          parts.add(new ContentPart.Image(url, detail, unknown(p, Set.of("type", "image_url"))));
        }
        default -> parts.add(new ContentPart.Other(p));
      }
    }
    return parts;
  }

  private static @Nullable List<ToolCall> readToolCalls(ObjectNode m, String at) {
    JsonNode node = present(m, "tool_calls");
    if (node == null) {
      return null;
    }
    if (!node.isArray()) {
      throw Fields.typeError(at + ".tool_calls", "an array", node);
    }
    var calls = new ArrayList<ToolCall>(node.size());
    for (int i = 0; i < node.size(); i++) {
      String cat = at + ".tool_calls[" + i + "]";
      ObjectNode c = requireObject(node.get(i), cat);
      ObjectNode fn = requireObject(required(c, "function", cat + ".function"), cat + ".function");
      JsonNode args = present(fn, "arguments");
      calls.add(
          new ToolCall(
              requireString(c, "id", cat + ".id"),
              requireString(fn, "name", cat + ".function.name"),
              args == null ? "" : args.isTextual() ? args.textValue() : Json.string(args)));
    }
    return calls;
  }

  private static @Nullable List<Tool> readTools(ObjectNode o) {
    JsonNode node = present(o, "tools");
    if (node == null) {
      return null;
    }
    if (!node.isArray()) {
      throw Fields.typeError("tools", "an array", node);
    }
    var tools = new ArrayList<Tool>(node.size());
    for (int i = 0; i < node.size(); i++) {
      String at = "tools[" + i + "]";
      ObjectNode t = requireObject(node.get(i), at);
      String type = requireString(t, "type", at + ".type");
      if (!type.equals("function")) {
        throw ApiException.invalid(
            at + ".type", "Invalid value: '" + type + "'. Supported values are: 'function'.");
      }
      ObjectNode fn = requireObject(required(t, "function", at + ".function"), at + ".function");
      String name = requireString(fn, "name", at + ".function.name");
      if (!TOOL_NAME.matcher(name).matches()) {
        throw ApiException.invalid(
            at + ".function.name",
            "Invalid '"
                + at
                + ".function.name': string does not match pattern. Expected a string"
                + " that matches the pattern '^[a-zA-Z0-9_-]+$' of at most 64 characters.");
      }
      JsonNode params = present(fn, "parameters");
      if (params != null && !params.isObject()) {
        throw Fields.typeError(at + ".function.parameters", "an object", params);
      }
      tools.add(
          new Tool(
              name,
              string(fn, "description", at + ".function.description"),
              params,
              bool(fn, "strict", at + ".function.strict"),
              unknown(t, Set.of("type", "function"))));
    }
    return tools;
  }

  private static @Nullable JsonNode readToolChoice(ObjectNode o, @Nullable List<Tool> tools) {
    JsonNode tc = present(o, "tool_choice");
    if (tc == null) {
      return null;
    }
    if (tc.isTextual()) {
      String v = tc.textValue();
      if (!Set.of("none", "auto", "required").contains(v)) {
        throw ApiException.invalid(
            "tool_choice",
            "Invalid value: '" + v + "'. Supported values are: 'none', 'auto', and 'required'.");
      }
      if (!v.equals("none") && tools == null) {
        throw ApiException.invalid(
            "tool_choice",
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when"
                + " 'tools' are specified.");
      }
      return tc;
    }
    ObjectNode c = requireObject(tc, "tool_choice");
    ObjectNode fn =
        requireObject(required(c, "function", "tool_choice.function"), "tool_choice.function");
    String name = requireString(fn, "name", "tool_choice.function.name");
    if (tools == null || tools.stream().noneMatch(t -> t.name().equals(name))) {
      throw ApiException.invalid(
          "tool_choice",
          "Invalid value for 'tool_choice': tool '" + name + "' is not among" + " 'tools'.");
    }
    return tc;
  }

  private static @Nullable ResponseFormat readResponseFormat(ObjectNode o) {
    JsonNode node = present(o, "response_format");
    if (node == null) {
      return null;
    }
    ObjectNode rf = requireObject(node, "response_format");
    String type = requireString(rf, "type", "response_format.type");
    switch (type) {
      case "text", "json_object" -> {
        return new ResponseFormat(type, null, null, null, null);
      }
      case "json_schema" -> {
        ObjectNode js =
            requireObject(
                required(rf, "json_schema", "response_format.json_schema"),
                "response_format.json_schema");
        JsonNode schema = present(js, "schema");
        if (schema != null && !schema.isObject()) {
          throw Fields.typeError("response_format.json_schema.schema", "an object", schema);
        }
        return new ResponseFormat(
            type,
            requireString(js, "name", "response_format.json_schema.name"),
            schema,
            bool(js, "strict", "response_format.json_schema.strict"),
            string(js, "description", "response_format.json_schema.description"));
      }
      default ->
          throw ApiException.invalid(
              "response_format.type",
              "Invalid value: '"
                  + type
                  + "'. Supported values are: 'text', 'json_object', and"
                  + " 'json_schema'.");
    }
  }

  private static @Nullable List<String> readStop(ObjectNode o) {
    JsonNode node = present(o, "stop");
    if (node == null) {
      return null;
    }
    if (node.isTextual()) {
      return List.of(node.textValue());
    }
    if (!node.isArray()) {
      throw Fields.typeError("stop", "a string or an array of strings", node);
    }
    if (node.size() > 4) {
      throw ApiException.invalid(
          "stop",
          "Invalid 'stop': array too long. Expected an array with maximum length 4, but"
              + " got an array with length "
              + node.size()
              + " instead.");
    }
    var stops = new ArrayList<String>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode s = node.get(i);
      if (!s.isTextual()) {
        throw Fields.typeError("stop[" + i + "]", "a string", s);
      }
      stops.add(s.textValue());
    }
    return stops;
  }

  /** Fields of {@code o} outside {@code known}, kept for pass-through; null when none. */
  private static @Nullable ObjectNode unknown(ObjectNode o, Set<String> known) {
    ObjectNode extra = Fields.extras(o, known);
    return extra.isEmpty() ? null : extra;
  }

  private static JsonNode required(ObjectNode o, String key, String param) {
    JsonNode v = present(o, key);
    if (v == null) {
      throw ApiException.invalid(param, "Missing required parameter: '" + param + "'.");
    }
    return v;
  }

  /** Writes the request as OpenAI JSON: typed fields first, then the pass-through fields. */
  public static ObjectNode write(ChatRequest r) {
    ObjectNode o = Json.object();
    o.put("model", r.model());
    ArrayNode msgs = o.putArray("messages");
    for (ChatMessage m : r.messages()) {
      msgs.add(writeMessage(m));
    }
    if (r.stream()) {
      o.put("stream", true);
      if (r.includeUsage()) {
        o.putObject("stream_options").put("include_usage", true);
      }
    }
    if (r.tools() != null) {
      ArrayNode tools = o.putArray("tools");
      for (Tool t : r.tools()) {
        ObjectNode tool = tools.addObject().put("type", "function");
        ObjectNode fn = tool.putObject("function");
        fn.put("name", t.name());
        if (t.description() != null) {
          fn.put("description", t.description());
        }
        if (t.parameters() != null) {
          fn.set("parameters", t.parameters());
        }
        if (t.strict() != null) {
          fn.put("strict", t.strict());
        }
        if (t.extra() != null) {
          tool.setAll(t.extra());
        }
      }
    }
    if (r.toolChoice() != null) {
      o.set("tool_choice", r.toolChoice());
    }
    if (r.parallelToolCalls() != null) {
      o.put("parallel_tool_calls", r.parallelToolCalls());
    }
    ResponseFormat rf = r.responseFormat();
    if (rf != null) {
      ObjectNode f = o.putObject("response_format").put("type", rf.type());
      if (rf.type().equals("json_schema")) {
        ObjectNode js = f.putObject("json_schema");
        js.put("name", rf.name());
        if (rf.description() != null) {
          js.put("description", rf.description());
        }
        if (rf.schema() != null) {
          js.set("schema", rf.schema());
        }
        if (rf.strict() != null) {
          js.put("strict", rf.strict());
        }
      }
    }
    if (r.stop() != null) {
      ArrayNode stop = o.putArray("stop");
      r.stop().forEach(stop::add);
    }
    putIfSet(o, "max_tokens", r.maxTokens());
    putIfSet(o, "max_completion_tokens", r.maxCompletionTokens());
    if (r.temperature() != null) {
      o.put("temperature", r.temperature());
    }
    if (r.topP() != null) {
      o.put("top_p", r.topP());
    }
    if (r.seed() != null) {
      o.put("seed", r.seed());
    }
    putIfSet(o, "n", r.n());
    if (r.logprobs() != null) {
      o.put("logprobs", r.logprobs());
    }
    putIfSet(o, "top_logprobs", r.topLogprobs());
    if (r.presencePenalty() != null) {
      o.put("presence_penalty", r.presencePenalty());
    }
    if (r.frequencyPenalty() != null) {
      o.put("frequency_penalty", r.frequencyPenalty());
    }
    if (r.user() != null) {
      o.put("user", r.user());
    }
    o.setAll(r.extra());
    return o;
  }

  public static ObjectNode writeMessage(ChatMessage m) {
    ObjectNode o = Json.object().put("role", m.role());
    if (m.text() != null) {
      o.put("content", m.text());
    } else if (m.parts() != null) {
      ArrayNode parts = o.putArray("content");
      for (ContentPart p : m.parts()) {
        switch (p) {
          case ContentPart.Text t -> {
            ObjectNode part = parts.addObject().put("type", "text").put("text", t.text());
            if (t.extra() != null) {
              part.setAll(t.extra());
            }
          }
          case ContentPart.Image i -> {
            ObjectNode part = parts.addObject().put("type", "image_url");
            ObjectNode url = part.putObject("image_url");
            url.put("url", i.url());
            if (i.detail() != null) {
              url.put("detail", i.detail());
            }
            if (i.extra() != null) {
              part.setAll(i.extra());
            }
          }
          case ContentPart.Other other -> parts.add(other.raw());
        }
      }
    } else {
      o.putNull("content");
    }
    if (m.name() != null) {
      o.put("name", m.name());
    }
    if (m.toolCalls() != null) {
      ArrayNode calls = o.putArray("tool_calls");
      for (ToolCall c : m.toolCalls()) {
        ObjectNode call = calls.addObject().put("id", c.id()).put("type", "function");
        call.putObject("function").put("name", c.name()).put("arguments", c.arguments());
      }
    }
    if (m.toolCallId() != null) {
      o.put("tool_call_id", m.toolCallId());
    }
    if (m.reasoning() != null) {
      o.put("reasoning_content", m.reasoning());
    }
    if (m.refusal() != null) {
      o.put("refusal", m.refusal());
    }
    if (m.extra() != null) {
      o.setAll(m.extra());
    }
    return o;
  }

  private static void putIfSet(ObjectNode o, String key, @Nullable Integer v) {
    if (v != null) {
      o.put(key, v);
    }
  }
}

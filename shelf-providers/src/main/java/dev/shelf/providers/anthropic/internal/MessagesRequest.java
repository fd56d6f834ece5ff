package dev.shelf.providers.anthropic.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatMessage.ContentPart;
import dev.shelf.api.ChatMessage.ToolCall;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequest.ResponseFormat;
import dev.shelf.api.ChatRequest.Tool;
import dev.shelf.api.Json;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The canonical chat request to an Anthropic Messages request body ({@link #toMessagesRequest}). A
 * pure function: no I/O, no clock, the same input gives the same JSON.
 *
 * <p>Anthropic's shape differs from OpenAI's in ways that need more than renaming:
 *
 * <ul>
 *   <li>System prompts are one top-level {@code system} list, not messages. System and developer
 *       messages, wherever they stand, are hoisted there in order (lossy: their position is lost).
 *   <li>Turns must alternate: consecutive messages that map to the same role (two user messages, a
 *       run of tool results, tool results followed by a user message) are merged into one turn,
 *       tool results first, as Anthropic requires.
 *   <li>Tool calls and results are content blocks ({@code tool_use} in the assistant turn, {@code
 *       tool_result} in the next user turn), and tool arguments are a JSON object, not text.
 *   <li>{@code max_tokens} is required: the client's limit, else {@code default_max_tokens}.
 * </ul>
 *
 * Every mapping that loses information has a comment here and a line in {@code docs/anthropic.md}.
 */
public final class MessagesRequest {
  /**
   * The tool Shelf adds to force a JSON answer for {@code response_format: json_schema}. Its input
   * is the answer; {@link StreamTranslator} turns its argument deltas back into content.
   */
  public static final String JSON_TOOL = "json_response";

  /**
   * Thinking budgets for OpenAI's {@code reasoning_effort} (the minimum Anthropic takes is 1024).
   */
  static final Map<String, Integer> EFFORT_BUDGETS =
      Map.of("low", 1024, "medium", 2048, "high", 4096);

  private static final Set<String> NO_THINKING = Set.of("none", "minimal");

  /** Anthropic block types a client may send as raw parts; passed on untouched. */
  private static final Set<String> NATIVE_BLOCKS = Set.of("document", "search_result");

  static final String JSON_OBJECT_INSTRUCTION =
      "Respond only with a single valid JSON object, with no text before or after it.";

  static final String JSON_SCHEMA_INSTRUCTION =
      "Respond only with a single valid JSON value that matches this JSON schema, with no text"
          + " before or after it: ";

  private MessagesRequest() {}

  /**
   * The translated body, and whether the answer arrives as the input of {@link #JSON_TOOL} (which
   * the stream translator must then read as content).
   */
  public record Translated(ObjectNode body, boolean jsonTool) {}

  /** One turn being built; consecutive messages of the same role land in the same turn. */
  private record Turn(String role, ArrayNode content) {}

  public static Translated toMessagesRequest(ChatRequest r, int defaultMaxTokens) {
    if (r.choices() != 1) {
      throw bad("n", "Invalid 'n': anthropic supports only n=1 but was " + r.choices() + ".");
    }
    if (Boolean.TRUE.equals(r.logprobs())) {
      throw bad("logprobs", "Invalid 'logprobs': anthropic does not return log probabilities.");
    }
    ObjectNode body = Json.object();
    body.put("model", r.model());

    ArrayNode system = Json.NODES.arrayNode();
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i < r.messages().size(); i++) {
      ChatMessage m = r.messages().get(i);
      String at = "messages[" + i + "]";
      switch (m.role()) {
        case "system", "developer" -> system.addAll(contentBlocks(m, at, true));
        case "user" -> append(turns, "user", contentBlocks(m, at, false));
        case "assistant" -> append(turns, "assistant", assistantBlocks(m, at));
        case "tool" -> append(turns, "user", toolResult(m, at));
        default ->
            throw bad(
                at + ".role",
                "Invalid '"
                    + at
                    + ".role': anthropic does not accept '"
                    + m.role()
                    + "' messages.");
      }
    }
    trimFinalAssistant(turns);

    // Thinking first: it decides max_tokens and whether a tool may be forced.
    ObjectNode thinking = thinking(r.extra());
    int budget = thinking == null ? 0 : thinking.path("budget_tokens").asInt(0);
    Integer limit = r.outputLimit();
    int maxTokens;
    if (limit != null) {
      if (budget > 0 && limit <= budget) {
        throw bad(
            r.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens",
            "Invalid 'max_tokens': with thinking it must be greater than the thinking budget "
                + budget
                + " but was "
                + limit
                + ".");
      }
      maxTokens = limit;
    } else {
      // The default is room for the visible answer; thinking gets its budget on top.
      maxTokens = defaultMaxTokens + budget;
    }
    body.put("max_tokens", maxTokens);

    ResponseFormat jsonSchemaTool = null;
    ResponseFormat rf = r.responseFormat();
    List<Tool> clientTools = r.tools() == null ? List.of() : r.tools();
    boolean hasTools = !clientTools.isEmpty();
    if (rf != null && rf.type().equals("json_schema")) {
      JsonNode schema = rf.schema();
      boolean objectSchema =
          schema != null && schema.isObject() && "object".equals(schema.path("type").asText());
      if (objectSchema && !hasTools && thinking == null) {
        // Forcing a tool whose input schema is the answer's schema is the most reliable way to get
        // schema-shaped JSON from Claude; the tool input becomes the answer's content.
        jsonSchemaTool = rf;
      } else {
        // Lossy: with tools of its own, thinking (which forbids forced tools) or a non-object
        // schema, the schema is only asked for in the system prompt, not enforced.
        system.add(
            textBlock(JSON_SCHEMA_INSTRUCTION + (schema == null ? "{}" : Json.string(schema))));
      }
    } else if (rf != null && rf.type().equals("json_object")) {
      // Lossy: Anthropic has no JSON mode; the instruction asks for JSON but nothing enforces it.
      system.add(textBlock(JSON_OBJECT_INSTRUCTION));
    }
    if (!system.isEmpty()) {
      body.set("system", system);
    }

    ArrayNode messages = body.putArray("messages");
    for (Turn t : turns) {
      ObjectNode turn = messages.addObject();
      turn.put("role", t.role());
      turn.set("content", t.role().equals("user") ? toolResultsFirst(t.content()) : t.content());
    }

    if (hasTools) {
      ArrayNode tools = body.putArray("tools");
      for (Tool t : clientTools) {
        tools.add(tool(t));
      }
      ObjectNode choice = toolChoice(r.toolChoice(), r.parallelToolCalls());
      if (choice != null) {
        body.set("tool_choice", choice);
      }
    } else if (jsonSchemaTool != null) {
      ObjectNode tool = body.putArray("tools").addObject();
      tool.put("name", JSON_TOOL);
      String description = jsonSchemaTool.description();
      tool.put(
          "description",
          description != null ? description : "Respond with the answer as this tool's input.");
      tool.set("input_schema", jsonSchemaTool.schema());
      body.putObject("tool_choice").put("type", "tool").put("name", JSON_TOOL);
    }

    if (r.stop() != null && !r.stop().isEmpty()) {
      ArrayNode stops = body.putArray("stop_sequences");
      r.stop().forEach(stops::add);
    }
    if (r.temperature() != null) {
      // Lossy: OpenAI's range is 0..2, Anthropic's 0..1; values above 1 are sent as 1.
      body.put("temperature", Math.min(r.temperature(), 1.0));
    }
    if (r.topP() != null) {
      body.put("top_p", r.topP());
    }
    JsonNode topK = r.extra().get("top_k");
    if (topK != null && topK.isIntegralNumber()) {
      body.set("top_k", topK);
    }
    if (r.user() != null) {
      body.putObject("metadata").put("user_id", r.user());
    }
    if (thinking != null) {
      body.set("thinking", thinking);
    }
    // Lossy: seed, presence_penalty, frequency_penalty and other OpenAI-only fields are dropped.
    body.put("stream", true);
    return new Translated(body, jsonSchemaTool != null);
  }

  /**
   * Thinking from the extra fields: an Anthropic-shaped {@code thinking} object is passed on as
   * given; otherwise {@code reasoning_effort} picks a budget from {@link #EFFORT_BUDGETS}.
   */
  static @Nullable ObjectNode thinking(ObjectNode extra) {
    JsonNode t = extra.get("thinking");
    if (t != null && !t.isNull()) {
      if (!(t instanceof ObjectNode o)) {
        throw bad("thinking", "Invalid type for 'thinking': expected an object.");
      }
      return "disabled".equals(o.path("type").asText()) ? null : o.deepCopy();
    }
    JsonNode e = extra.get("reasoning_effort");
    if (e == null || e.isNull()) {
      return null;
    }
    String effort = e.asText();
    if (NO_THINKING.contains(effort)) {
      return null;
    }
    Integer budget = EFFORT_BUDGETS.get(effort);
    if (budget == null) {
      throw bad(
          "reasoning_effort",
          "Invalid 'reasoning_effort': expected none, minimal, low, medium or high but was '"
              + effort
              + "'.");
    }
    ObjectNode o = Json.object();
    o.put("type", "enabled");
    o.put("budget_tokens", budget);
    return o;
  }

  private static void append(List<Turn> turns, String role, ArrayNode blocks) {
    if (blocks.isEmpty()) {
      // Lossy: Anthropic rejects empty turns; a message with no content is left out.
      return;
    }
    if (!turns.isEmpty() && turns.getLast().role().equals(role)) {
      turns.getLast().content().addAll(blocks);
    } else {
      turns.add(new Turn(role, blocks));
    }
  }

  /** Anthropic wants a user turn's tool results before its other blocks; a stable partition. */
  private static ArrayNode toolResultsFirst(ArrayNode content) {
    ArrayNode out = Json.NODES.arrayNode();
    for (JsonNode b : content) {
      if ("tool_result".equals(b.path("type").asText())) {
        out.add(b);
      }
    }
    for (JsonNode b : content) {
      if (!"tool_result".equals(b.path("type").asText())) {
        out.add(b);
      }
    }
    return out;
  }

  /**
   * A final assistant turn is a prefill, and Anthropic rejects one that ends in whitespace: the
   * trailing whitespace is cut (and a block left empty dropped).
   */
  private static void trimFinalAssistant(List<Turn> turns) {
    if (turns.isEmpty() || !turns.getLast().role().equals("assistant")) {
      return;
    }
    ArrayNode content = turns.getLast().content();
    JsonNode last = content.get(content.size() - 1);
    if (last instanceof ObjectNode o && "text".equals(o.path("type").asText())) {
      String trimmed = o.path("text").asText().stripTrailing();
      if (trimmed.isEmpty()) {
        content.remove(content.size() - 1);
        if (content.isEmpty()) {
          turns.removeLast();
        }
      } else {
        o.put("text", trimmed);
      }
    }
  }

  /** Text and image content of a message as blocks; system prompts take text only. */
  private static ArrayNode contentBlocks(ChatMessage m, String at, boolean textOnly) {
    ArrayNode blocks = Json.NODES.arrayNode();
    if (m.text() != null) {
      if (!m.text().isEmpty()) {
        blocks.add(textBlock(m.text()));
      }
      return blocks;
    }
    if (m.parts() == null) {
      return blocks;
    }
    for (int i = 0; i < m.parts().size(); i++) {
      String pat = at + ".content[" + i + "]";
      switch (m.parts().get(i)) {
        case ContentPart.Text t -> {
          if (!t.text().isEmpty()) { // Anthropic rejects empty text blocks
            blocks.add(withCacheControl(textBlock(t.text()), t.extra()));
          }
        }
        case ContentPart.Image img when !textOnly ->
            blocks.add(withCacheControl(imageBlock(img.url(), pat), img.extra()));
        case ContentPart.Other o when !textOnly -> blocks.add(otherBlock(o.raw(), pat));
        default -> throw bad(pat, "Invalid '" + pat + "': system messages may contain only text.");
      }
    }
    return blocks;
  }

  private static ArrayNode assistantBlocks(ChatMessage m, String at) {
    ArrayNode blocks = Json.NODES.arrayNode();
    // Lossy: reasoning text of earlier turns is dropped, since Anthropic only accepts thinking
    // blocks with their signature; a client that kept them sends them as `thinking_blocks`.
    JsonNode thinkingBlocks = m.extra() == null ? null : m.extra().get("thinking_blocks");
    if (thinkingBlocks != null && thinkingBlocks.isArray()) {
      thinkingBlocks.forEach(blocks::add);
    }
    blocks.addAll(contentBlocks(m, at, false));
    if (blocks.isEmpty() && m.refusal() != null && !m.refusal().isEmpty()) {
      blocks.add(textBlock(m.refusal())); // Lossy: a refusal is history as plain text
    }
    if (m.toolCalls() != null) {
      for (int i = 0; i < m.toolCalls().size(); i++) {
        ToolCall c = m.toolCalls().get(i);
        ObjectNode use = blocks.addObject();
        use.put("type", "tool_use");
        use.put("id", c.id());
        use.put("name", c.name());
        use.set(
            "input", toolInput(c.arguments(), at + ".tool_calls[" + i + "].function.arguments"));
      }
    }
    return blocks;
  }

  /** Tool arguments are JSON text in OpenAI and a JSON object in Anthropic. */
  static ObjectNode toolInput(String arguments, String param) {
    if (arguments.isBlank()) {
      return Json.object();
    }
    try {
      JsonNode n = Json.MAPPER.readTree(arguments);
      if (n instanceof ObjectNode o) {
        return o;
      }
    } catch (JsonProcessingException e) {
      // reported below
    }
    throw bad(param, "Invalid '" + param + "': anthropic needs the arguments to be a JSON object.");
  }

  private static ArrayNode toolResult(ChatMessage m, String at) {
    if (m.toolCallId() == null) {
      throw bad(at + ".tool_call_id", "Missing required parameter: '" + at + ".tool_call_id'.");
    }
    ObjectNode result = Json.object();
    result.put("type", "tool_result");
    result.put("tool_use_id", m.toolCallId());
    if (m.text() != null) {
      if (!m.text().isEmpty()) {
        result.put("content", m.text());
      }
    } else {
      ArrayNode content = contentBlocks(m, at, false);
      if (!content.isEmpty()) {
        result.set("content", content);
      }
    }
    ArrayNode blocks = Json.NODES.arrayNode();
    blocks.add(result);
    return blocks;
  }

  private static ObjectNode tool(Tool t) {
    ObjectNode o = Json.object();
    o.put("name", t.name());
    if (t.description() != null) {
      o.put("description", t.description());
    }
    if (t.parameters() != null) {
      o.set("input_schema", t.parameters());
    } else {
      o.putObject("input_schema").put("type", "object").putObject("properties");
    }
    // Lossy: `strict` is not sent; Anthropic validates tool inputs its own way.
    return withCacheControl(o, t.extra());
  }

  static @Nullable ObjectNode toolChoice(@Nullable JsonNode choice, @Nullable Boolean parallel) {
    ObjectNode o = Json.object();
    if (choice == null) {
      if (!Boolean.FALSE.equals(parallel)) {
        return null;
      }
      o.put("type", "auto");
    } else if (choice.isTextual()) {
      switch (choice.textValue()) {
        case "auto" -> o.put("type", "auto");
        case "none" -> {
          return o.put("type", "none"); // parallelism means nothing when no tool may be called
        }
        case "required" -> o.put("type", "any");
        default -> throw bad("tool_choice", "Invalid 'tool_choice': '" + choice.textValue() + "'.");
      }
    } else {
      o.put("type", "tool");
      o.put("name", choice.path("function").path("name").asText());
    }
    if (Boolean.FALSE.equals(parallel)) {
      o.put("disable_parallel_tool_use", true);
    }
    return o;
  }

  static ObjectNode textBlock(String text) {
    ObjectNode o = Json.object();
    o.put("type", "text");
    o.put("text", text);
    return o;
  }

  /** Keeps {@code cache_control} from a part's extra fields; other extras are dropped (lossy). */
  private static ObjectNode withCacheControl(ObjectNode block, @Nullable ObjectNode extra) {
    if (extra != null && extra.has("cache_control")) {
      block.set("cache_control", extra.get("cache_control"));
    }
    return block;
  }

  /**
   * An image from a {@code data:} URL (base64 source with its media type) or an http(s) URL (url
   * source). Lossy: OpenAI's {@code detail} has no Anthropic equivalent.
   */
  static ObjectNode imageBlock(String url, String param) {
    ObjectNode block = Json.object();
    block.put("type", "image");
    block.set("source", source(url, param));
    return block;
  }

  private static ObjectNode source(String url, String param) {
    ObjectNode source = Json.object();
    if (url.startsWith("data:")) {
      int comma = url.indexOf(',');
      String meta = comma < 0 ? "" : url.substring(5, comma);
      if (comma < 0 || !meta.endsWith(";base64")) {
        throw bad(
            param, "Invalid '" + param + "': a data: URL must be base64 (data:TYPE;base64,…).");
      }
      source.put("type", "base64");
      source.put("media_type", meta.substring(0, meta.length() - ";base64".length()));
      source.put("data", url.substring(comma + 1));
    } else if (url.startsWith("https://") || url.startsWith("http://")) {
      source.put("type", "url");
      source.put("url", url);
    } else {
      throw bad(param, "Invalid '" + param + "': expected a data: or http(s) URL.");
    }
    return source;
  }

  /**
   * A part Shelf does not model: an OpenAI {@code file} part with inline data becomes a {@code
   * document} block; Anthropic-native blocks pass through; anything else is refused.
   */
  private static ObjectNode otherBlock(ObjectNode raw, String param) {
    String type = raw.path("type").asText();
    if (type.equals("file") && raw.path("file").path("file_data").isTextual()) {
      ObjectNode doc = Json.object();
      doc.put("type", "document");
      doc.set("source", source(raw.path("file").path("file_data").asText(), param));
      return withCacheControl(doc, raw);
    }
    if (NATIVE_BLOCKS.contains(type)) {
      return raw;
    }
    throw bad(
        param + ".type",
        "Invalid '" + param + ".type': anthropic does not accept '" + type + "' content.");
  }

  private static ProviderException bad(String param, String message) {
    return new ProviderException(Kind.BAD_REQUEST, message, null, param, 0, null, null);
  }
}

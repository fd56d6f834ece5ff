package dev.shelf.providers.gemini.internal;

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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The canonical chat request to a Gemini {@code GenerateContentRequest} body ({@link
 * #toGenerateContent}). A pure function: no I/O, no clock, the same input gives the same JSON. The
 * model is not in the body: it is part of the URL ({@link #modelPath}).
 *
 * <p>What needs more than renaming:
 *
 * <ul>
 *   <li>System and developer messages, wherever they stand, become the one {@code
 *       systemInstruction} (lossy: their position is lost).
 *   <li>Roles are {@code user} and {@code model}; consecutive messages mapping to the same role
 *       (tool results, then a user message) are merged into one content, as Gemini wants the
 *       answers to one turn's function calls together.
 *   <li>Tool calls are {@code functionCall} parts with their arguments as a JSON object, and
 *       results are {@code functionResponse} parts that carry the function's <em>name</em>, not a
 *       call id: the name is looked up from the assistant message that made the call.
 *   <li>Tool and answer schemas are converted to Gemini's OpenAPI subset ({@link GeminiSchema}).
 * </ul>
 *
 * Every mapping that loses information has a comment here and a line in {@code docs/gemini.md}.
 */
public final class GenerateContentRequest {
  /**
   * Thinking budgets (tokens) for OpenAI's {@code reasoning_effort}: low, medium and high as in
   * Google's own OpenAI-compatible endpoint; none turns thinking off; minimal is 128, the smallest
   * budget Gemini 2.5 Pro accepts.
   */
  static final Map<String, Integer> EFFORT_BUDGETS =
      Map.of("none", 0, "minimal", 128, "low", 1024, "medium", 8192, "high", 24576);

  private GenerateContentRequest() {}

  /** One content being built; consecutive messages of the same role land in the same one. */
  private record Turn(String role, ArrayNode parts) {}

  /**
   * The model's resource name for the URL: {@code gemini-2.5-flash} and {@code
   * models/gemini-2.5-flash} both give {@code models/gemini-2.5-flash}; {@code tunedModels/…} is
   * kept.
   */
  public static String modelPath(String model) {
    String m =
        model.startsWith("models/") || model.startsWith("tunedModels/") ? model : "models/" + model;
    String id = m.substring(m.indexOf('/') + 1);
    if (id.isEmpty() || !id.matches("[A-Za-z0-9._\\-]+")) {
      throw bad("model", "Invalid 'model': '" + model + "' is not a Gemini model name.");
    }
    return m;
  }

  /**
   * @param safetySettings the provider's configured {@code safetySettings}, or null; a request's
   *     own {@code safety_settings} extra field wins
   */
  public static ObjectNode toGenerateContent(ChatRequest r, @Nullable JsonNode safetySettings) {
    if (Boolean.TRUE.equals(r.logprobs())) {
      // Lossy if sent: Gemini's logprobsResult is not translated back, so refuse rather than drop.
      throw bad(
          "logprobs", "Invalid 'logprobs': the gemini adapter does not return log probabilities.");
    }
    ObjectNode body = Json.object();
    ArrayNode system = Json.NODES.arrayNode();
    List<Turn> turns = new ArrayList<>();
    Map<String, String> callNames = new HashMap<>();
    for (int i = 0; i < r.messages().size(); i++) {
      ChatMessage m = r.messages().get(i);
      String at = "messages[" + i + "]";
      switch (m.role()) {
        case "system", "developer" -> system.addAll(parts(m, at, true));
        case "user" -> append(turns, "user", parts(m, at, false));
        case "assistant" -> append(turns, "model", modelParts(m, at, callNames));
        case "tool", "function" -> append(turns, "user", functionResponse(m, at, callNames));
        default ->
            throw bad(
                at + ".role",
                "Invalid '" + at + ".role': gemini does not accept '" + m.role() + "' messages.");
      }
    }
    ArrayNode contents = body.putArray("contents");
    for (Turn t : turns) {
      ObjectNode c = contents.addObject();
      c.put("role", t.role());
      c.set("parts", t.parts());
    }
    if (!system.isEmpty()) {
      body.putObject("systemInstruction").set("parts", system);
    }

    List<Tool> tools = r.tools() == null ? List.of() : r.tools();
    if (!tools.isEmpty()) {
      ArrayNode decls = body.putArray("tools").addObject().putArray("functionDeclarations");
      for (int i = 0; i < tools.size(); i++) {
        decls.add(declaration(tools.get(i), "tools[" + i + "].function.parameters"));
      }
    }
    // Lossy: parallel_tool_calls has no Gemini switch; Gemini decides how many calls to make.
    ObjectNode calling = functionCalling(r.toolChoice());
    if (calling != null) {
      body.putObject("toolConfig").set("functionCallingConfig", calling);
    }

    JsonNode safety = r.extra().get("safety_settings");
    if (safety != null && safety.isArray()) {
      body.set("safetySettings", safety);
    } else if (safetySettings != null && safetySettings.isArray() && !safetySettings.isEmpty()) {
      body.set("safetySettings", safetySettings);
    }

    ObjectNode config = generationConfig(r);
    if (!config.isEmpty()) {
      body.set("generationConfig", config);
    }
    // Lossy: user, logit_bias, store, metadata, service_tier, stream_options and any other field
    // Gemini does not define are dropped.
    return body;
  }

  private static ObjectNode generationConfig(ChatRequest r) {
    ObjectNode g = Json.object();
    if (r.stop() != null && !r.stop().isEmpty()) {
      ArrayNode stops = g.putArray("stopSequences");
      r.stop().forEach(stops::add);
    }
    if (r.choices() != 1) {
      g.put("candidateCount", r.choices());
    }
    if (r.outputLimit() != null) {
      g.put("maxOutputTokens", r.outputLimit());
    }
    if (r.temperature() != null) {
      g.put("temperature", r.temperature()); // both ranges are 0..2
    }
    if (r.topP() != null) {
      g.put("topP", r.topP());
    }
    JsonNode topK = r.extra().get("top_k");
    if (topK != null && topK.isIntegralNumber()) {
      g.set("topK", topK);
    }
    if (r.seed() != null) {
      long seed = r.seed();
      if (seed != (int) seed) {
        throw bad("seed", "Invalid 'seed': gemini takes a 32-bit seed but was " + seed + ".");
      }
      g.put("seed", (int) seed);
    }
    if (r.presencePenalty() != null) {
      g.put("presencePenalty", r.presencePenalty());
    }
    if (r.frequencyPenalty() != null) {
      g.put("frequencyPenalty", r.frequencyPenalty());
    }
    ResponseFormat rf = r.responseFormat();
    if (rf != null && rf.type().equals("json_object")) {
      g.put("responseMimeType", "application/json");
    } else if (rf != null && rf.type().equals("json_schema")) {
      g.put("responseMimeType", "application/json");
      if (rf.schema() != null) {
        // Lossy: converted like tool parameters; the schema's name and strict are not sent.
        g.set("responseSchema", GeminiSchema.convert(rf.schema(), "response_format.json_schema"));
      }
    }
    ObjectNode thinking = thinkingConfig(r.extra());
    if (thinking != null) {
      g.set("thinkingConfig", thinking);
    }
    return g;
  }

  /**
   * Thinking from the extra fields: a Gemini-shaped {@code thinking_config} object is passed on as
   * given; otherwise {@code reasoning_effort} picks a budget from {@link #EFFORT_BUDGETS}, with
   * thoughts included (they stream back as reasoning) unless thinking is off.
   */
  static @Nullable ObjectNode thinkingConfig(ObjectNode extra) {
    JsonNode t = extra.get("thinking_config");
    if (t != null && !t.isNull()) {
      if (!(t instanceof ObjectNode o)) {
        throw bad("thinking_config", "Invalid type for 'thinking_config': expected an object.");
      }
      return o.deepCopy();
    }
    JsonNode e = extra.get("reasoning_effort");
    if (e == null || e.isNull()) {
      return null;
    }
    Integer budget = EFFORT_BUDGETS.get(e.asText());
    if (budget == null) {
      throw bad(
          "reasoning_effort",
          "Invalid 'reasoning_effort': expected none, minimal, low, medium or high but was '"
              + e.asText()
              + "'.");
    }
    ObjectNode o = Json.object();
    o.put("thinkingBudget", budget);
    o.put("includeThoughts", budget > 0);
    return o;
  }

  static @Nullable ObjectNode functionCalling(@Nullable JsonNode choice) {
    if (choice == null || choice.isNull()) {
      return null;
    }
    ObjectNode o = Json.object();
    if (choice.isTextual()) {
      switch (choice.textValue()) {
        case "auto" -> o.put("mode", "AUTO");
        case "none" -> o.put("mode", "NONE");
        case "required" -> o.put("mode", "ANY");
        default -> throw bad("tool_choice", "Invalid 'tool_choice': '" + choice.textValue() + "'.");
      }
    } else {
      String name = choice.path("function").path("name").asText("");
      if (name.isEmpty()) {
        throw bad("tool_choice", "Invalid 'tool_choice': expected a function name.");
      }
      o.put("mode", "ANY");
      o.putArray("allowedFunctionNames").add(name);
    }
    return o;
  }

  private static ObjectNode declaration(Tool t, String param) {
    ObjectNode d = Json.object();
    d.put("name", t.name());
    if (t.description() != null) {
      d.put("description", t.description());
    }
    if (t.parameters() != null) {
      ObjectNode p = GeminiSchema.convert(t.parameters(), param);
      // A function without parameters declares none: Gemini rejects an OBJECT without properties.
      if (!"object".equals(p.path("type").asText()) || p.has("properties")) {
        d.set("parameters", p);
      }
    }
    // Lossy: `strict` is not sent.
    return d;
  }

  private static void append(List<Turn> turns, String role, ArrayNode parts) {
    if (parts.isEmpty()) {
      return; // Lossy: Gemini rejects a content without parts; an empty message is left out.
    }
    if (!turns.isEmpty() && turns.getLast().role().equals(role)) {
      turns.getLast().parts().addAll(parts);
    } else {
      turns.add(new Turn(role, parts));
    }
  }

  /** Text, images, audio and files of a message; system instructions take text only. */
  private static ArrayNode parts(ChatMessage m, String at, boolean textOnly) {
    ArrayNode parts = Json.NODES.arrayNode();
    if (m.text() != null) {
      if (!m.text().isEmpty()) {
        parts.addObject().put("text", m.text());
      }
      return parts;
    }
    if (m.parts() == null) {
      return parts;
    }
    for (int i = 0; i < m.parts().size(); i++) {
      String pat = at + ".content[" + i + "]";
      switch (m.parts().get(i)) {
        case ContentPart.Text t -> {
          if (!t.text().isEmpty()) {
            parts.addObject().put("text", t.text());
          }
        }
        case ContentPart.Image img when !textOnly -> parts.add(media(img.url(), pat));
        case ContentPart.Other o when !textOnly -> parts.add(otherPart(o.raw(), pat));
        default -> throw bad(pat, "Invalid '" + pat + "': system messages may contain only text.");
      }
    }
    return parts;
  }

  private static ArrayNode modelParts(ChatMessage m, String at, Map<String, String> callNames) {
    // Lossy: earlier reasoning text is dropped (Gemini takes thoughts back only as signatures).
    ArrayNode parts = parts(m, at, false);
    if (parts.isEmpty() && m.refusal() != null && !m.refusal().isEmpty()) {
      parts.addObject().put("text", m.refusal()); // Lossy: a refusal is history as plain text
    }
    if (m.toolCalls() != null) {
      for (int i = 0; i < m.toolCalls().size(); i++) {
        ToolCall c = m.toolCalls().get(i);
        callNames.put(c.id(), c.name());
        ObjectNode call = parts.addObject().putObject("functionCall");
        call.put("name", c.name());
        call.set("args", args(c.arguments(), at + ".tool_calls[" + i + "].function.arguments"));
      }
    }
    return parts;
  }

  /** Tool arguments are JSON text in OpenAI and a JSON object ({@code Struct}) in Gemini. */
  static ObjectNode args(String arguments, String param) {
    if (arguments.isBlank()) {
      return Json.object();
    }
    try {
      if (Json.MAPPER.readTree(arguments) instanceof ObjectNode o) {
        return o;
      }
    } catch (JsonProcessingException e) {
      // reported below
    }
    throw bad(param, "Invalid '" + param + "': gemini needs the arguments to be a JSON object.");
  }

  /**
   * A tool result as a {@code functionResponse}: the name comes from the call it answers (Gemini
   * matches results by name and order), the result is {@code {"result": …}}, the text parsed as
   * JSON when it is JSON, else the text itself.
   */
  private static ArrayNode functionResponse(
      ChatMessage m, String at, Map<String, String> callNames) {
    String name = m.toolCallId() == null ? null : callNames.get(m.toolCallId());
    if (name == null) {
      name = m.name(); // the legacy `function` role names its function
    }
    if (name == null) {
      String param = at + ".tool_call_id";
      throw bad(
          param,
          m.toolCallId() == null
              ? "Missing required parameter: '" + param + "'."
              : "Invalid '"
                  + param
                  + "': no earlier assistant message made a tool call with id '"
                  + m.toolCallId()
                  + "'.");
    }
    String text = m.textContent();
    JsonNode result;
    try {
      result = text.isBlank() ? Json.NODES.textNode(text) : Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      result = Json.NODES.textNode(text);
    }
    ArrayNode parts = Json.NODES.arrayNode();
    ObjectNode fr = parts.addObject().putObject("functionResponse");
    fr.put("name", name);
    fr.putObject("response").set("result", result);
    return parts;
  }

  /**
   * An image (or other media) from a {@code data:} URL (inline bytes) or an http(s) URL ({@code
   * fileData}). Lossy: {@code detail} is dropped. Caveat: Gemini fetches only some URLs itself (its
   * Files API, YouTube, public URLs on recent models); a data: URL always works.
   */
  static ObjectNode media(String url, String param) {
    ObjectNode part = Json.object();
    if (url.startsWith("data:")) {
      int comma = url.indexOf(',');
      String meta = comma < 0 ? "" : url.substring(5, comma);
      if (comma < 0 || !meta.endsWith(";base64")) {
        throw bad(
            param, "Invalid '" + param + "': a data: URL must be base64 (data:TYPE;base64,…).");
      }
      ObjectNode inline = part.putObject("inlineData");
      inline.put("mimeType", meta.substring(0, meta.length() - ";base64".length()));
      inline.put("data", url.substring(comma + 1));
    } else if (url.startsWith("https://") || url.startsWith("http://")) {
      ObjectNode file = part.putObject("fileData");
      file.put("mimeType", guessMimeType(url));
      file.put("fileUri", url);
    } else {
      throw bad(param, "Invalid '" + param + "': expected a data: or http(s) URL.");
    }
    return part;
  }

  /** The media type of a URL by its extension; image/jpeg when it has none Shelf knows (lossy). */
  static String guessMimeType(String url) {
    String path = url.replaceFirst("[?#].*$", "").toLowerCase(Locale.ROOT);
    String ext = path.substring(path.lastIndexOf('.') + 1);
    return switch (ext) {
      case "png" -> "image/png";
      case "webp" -> "image/webp";
      case "gif" -> "image/gif";
      case "heic" -> "image/heic";
      case "heif" -> "image/heif";
      case "pdf" -> "application/pdf";
      case "mp3" -> "audio/mp3";
      case "wav" -> "audio/wav";
      case "mp4" -> "video/mp4";
      default -> "image/jpeg";
    };
  }

  /** OpenAI {@code input_audio} and {@code file} parts; anything else is refused. */
  private static ObjectNode otherPart(ObjectNode raw, String param) {
    String type = raw.path("type").asText();
    if (type.equals("input_audio") && raw.path("input_audio").path("data").isTextual()) {
      ObjectNode part = Json.object();
      ObjectNode inline = part.putObject("inlineData");
      inline.put("mimeType", "audio/" + raw.path("input_audio").path("format").asText("wav"));
      inline.put("data", raw.path("input_audio").path("data").asText());
      return part;
    }
    if (type.equals("file") && raw.path("file").path("file_data").isTextual()) {
      return media(raw.path("file").path("file_data").asText(), param);
    }
    throw bad(
        param + ".type",
        "Invalid '" + param + ".type': gemini does not accept '" + type + "' content.");
  }

  static ProviderException bad(String param, String message) {
    return new ProviderException(Kind.BAD_REQUEST, message, null, param, 0, null, null);
  }
}

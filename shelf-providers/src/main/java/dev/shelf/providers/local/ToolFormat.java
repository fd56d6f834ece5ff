package dev.shelf.providers.local;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.engine.grammar.JsonSchema;
import dev.shelf.engine.template.ChatTemplate;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How a model writes a tool call, told from its chat template, and how to read one back out of its
 * text. llama.cpp's server tells the formats apart the same way (by what the template writes for a
 * call); these are the ones the common open models use:
 *
 * <ul>
 *   <li>{@link #HERMES}: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, one
 *       block per call, text before them is content. Qwen 2.5, Hermes 2 Pro and 3, and every
 *       template that takes no tools at all (Shelf then writes the tools into the system message in
 *       this format itself; see {@link ChatPrompt}).
 *   <li>{@link #LLAMA3}: the whole answer is {@code {"name": ..., "parameters": {...}}} (Llama
 *       3.1-3.3's "respond with JSON for a function call"); several may follow one another.
 *   <li>{@link #MISTRAL}: the control token {@code [TOOL_CALLS]} (not in the decoded text) and a
 *       JSON array of {@code {"name", "arguments"}}; call ids are nine letters and digits.
 *   <li>{@link #GENERIC}: other templates that take tools (Command R, Functionary, FireFunction,
 *       DeepSeek R1): a {@code <tool_call>} block, a JSON object or array as the whole answer, or
 *       FireFunction's {@code functools[...]}.
 * </ul>
 *
 * <p>Text that does not parse as a call is content: a model that starts a call and writes broken
 * JSON gets its text back as it wrote it, never a half call.
 */
enum ToolFormat {
  HERMES,
  LLAMA3,
  MISTRAL,
  GENERIC;

  static final String OPEN = "<tool_call>";
  static final String CLOSE = "</tool_call>";

  /** FireFunction's opening of its calls. */
  static final String FUNCTOOLS = "functools";

  /** A call read from the text: its function and its arguments as compact JSON text. */
  record Call(String name, String arguments) {}

  /**
   * What a generated text holds: the content before the calls (and any after them) and the calls.
   */
  record Parsed(String content, List<Call> calls) {}

  /** The format of a template; {@link #HERMES} for one that takes no tools (see the class doc). */
  static ToolFormat of(ChatTemplate template) {
    String s = template.source();
    if (!takesTools(template)) {
      return HERMES;
    }
    if (s.contains(OPEN)) {
      return HERMES;
    }
    if (s.contains("[TOOL_CALLS]")) {
      return MISTRAL;
    }
    if (s.contains("<|start_header_id|>") && s.contains("\"parameters\"")) {
      return LLAMA3;
    }
    return GENERIC;
  }

  /** Whether the template renders the {@code tools} it is given. */
  static boolean takesTools(ChatTemplate template) {
    return !template.isFallback() && template.source().contains("tools");
  }

  /** Whether an answer that begins with {@code c} (after white space) may be a call as a whole. */
  boolean startsCall(char c) {
    return switch (this) {
      case HERMES -> false;
      case LLAMA3 -> c == '{';
      case MISTRAL -> c == '[';
      case GENERIC -> c == '{' || c == '[';
    };
  }

  /** Whether calls may also begin after some content, at a {@code <tool_call>} tag. */
  boolean tagged() {
    return this == HERMES || this == GENERIC;
  }

  /**
   * A forced call: what the prompt ends with ({@code prompt}: the call's opening, after any control
   * token the format writes first), the same opening as call text for {@link #parse} ({@code
   * text}), and the JSON the model must then write ({@code schema}) and close with ({@code
   * suffix}).
   */
  record Forced(String prompt, String text, JsonSchema schema, String suffix) {}

  /**
   * The opening and grammar of a forced call: of {@code name} with arguments of {@code parameters}
   * (a JSON Schema, null for any object), or, when {@code name} is null, of any of {@code names},
   * written whole as a call object (its arguments any object).
   */
  Forced forced(@Nullable String name, @Nullable JsonSchema parameters, List<String> names) {
    String key = this == LLAMA3 ? "parameters" : "arguments";
    String open =
        switch (this) {
          case HERMES -> OPEN + "\n";
          case MISTRAL -> "[";
          case LLAMA3, GENERIC -> "";
        };
    String close =
        switch (this) {
          case HERMES -> "\n" + CLOSE;
          case MISTRAL -> "]";
          case LLAMA3, GENERIC -> "";
        };
    String control = this == MISTRAL ? "[TOOL_CALLS]" : "";
    if (name == null) {
      Map<String, Object> call = new LinkedHashMap<>();
      call.put("type", "object");
      call.put(
          "properties",
          Map.of("name", Map.of("enum", List.copyOf(names)), key, Map.of("type", "object")));
      call.put("required", List.of("name", key));
      call.put("additionalProperties", false);
      return new Forced(control + open, open, JsonSchema.compile(call), close);
    }
    String text =
        open + "{\"name\": " + Json.string(Json.NODES.textNode(name)) + ", \"" + key + "\": ";
    JsonSchema args = parameters == null ? JsonSchema.ANY_OBJECT : parameters;
    return new Forced(control + text, text, args, "}" + close);
  }

  /**
   * The calls in {@code text}, or null when it holds none (or a call that does not parse): then the
   * whole text is content.
   */
  @Nullable Parsed parse(String text) {
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      return null;
    }
    if (tagged() && text.contains(OPEN)) {
      return tagged(text);
    }
    if (this == GENERIC && trimmed.startsWith(FUNCTOOLS)) {
      trimmed = trimmed.substring(FUNCTOOLS.length()).strip();
    }
    if (trimmed.isEmpty() || !startsCall(trimmed.charAt(0))) {
      return null;
    }
    List<Call> calls = json(trimmed);
    return calls == null ? null : new Parsed("", calls);
  }

  /** {@code <tool_call>} blocks; the last may lack its closing tag (the model stopped there). */
  private static @Nullable Parsed tagged(String text) {
    int at = text.indexOf(OPEN);
    StringBuilder content = new StringBuilder(text.substring(0, at));
    List<Call> calls = new ArrayList<>();
    while (at >= 0) {
      int from = at + OPEN.length();
      int end = text.indexOf(CLOSE, from);
      String body = text.substring(from, end < 0 ? text.length() : end);
      List<Call> some = json(body.strip());
      if (some == null) {
        return null;
      }
      calls.addAll(some);
      int next = end < 0 ? text.length() : end + CLOSE.length();
      at = text.indexOf(OPEN, next);
      String between = text.substring(next, at < 0 ? text.length() : at);
      if (!between.isBlank()) {
        content.append(between);
      }
    }
    return new Parsed(content.toString(), calls);
  }

  /**
   * Calls written as JSON: one object, several objects one after another (white space or {@code ;}
   * between), or an array of objects; each with a string {@code name} and an object (or JSON text)
   * of {@code arguments} or {@code parameters}.
   */
  private static @Nullable List<Call> json(String text) {
    List<Call> calls = new ArrayList<>();
    try (JsonParser p = Json.MAPPER.createParser(separatorsToSpaces(text))) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        JsonNode node = Json.MAPPER.readTree(p);
        if (t == JsonToken.START_ARRAY) {
          if (node.isEmpty()) {
            return null;
          }
          for (JsonNode item : node) {
            Call c = call(item);
            if (c == null) {
              return null;
            }
            calls.add(c);
          }
        } else {
          Call c = call(node);
          if (c == null) {
            return null;
          }
          calls.add(c);
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return calls.isEmpty() ? null : calls;
  }

  /**
   * The text with each {@code ;} between top-level JSON values made a space (Llama's separator).
   */
  static String separatorsToSpaces(String text) {
    char[] out = text.toCharArray();
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < out.length; i++) {
      char c = out[i];
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
      } else if (c == ';' && depth == 0) {
        out[i] = ' ';
      }
    }
    return new String(out);
  }

  private static @Nullable Call call(JsonNode node) {
    if (!node.isObject()) {
      return null;
    }
    JsonNode fn = node.path("function");
    JsonNode source = fn.isObject() ? fn : node;
    JsonNode name = source.get("name");
    if (name == null || !name.isTextual() || name.asText().isBlank()) {
      return null;
    }
    JsonNode args = source.has("arguments") ? source.get("arguments") : source.get("parameters");
    String arguments;
    if (args == null || args.isNull()) {
      arguments = "{}";
    } else if (args.isObject()) {
      arguments = Json.string(args);
    } else if (args.isTextual()) {
      try {
        arguments = Json.string(Json.MAPPER.readTree(args.asText()));
      } catch (IOException e) {
        return null;
      }
    } else {
      return null;
    }
    return new Call(name.asText(), arguments);
  }
}

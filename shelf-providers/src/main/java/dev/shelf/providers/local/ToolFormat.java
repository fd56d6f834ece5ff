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
 *   <li>{@link #DEEPSEEK_R1}: {@code <｜tool▁calls▁begin｜>}, then per call {@code
 *       <｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME}, a line break and the arguments in a {@code
 *       ```json} fence, then {@code <｜tool▁call▁end｜>}; {@code <｜tool▁calls▁end｜>} last. Text
 *       before is content. DeepSeek R1 and V3 and the templates written for them.
 *   <li>{@link #FUNCTIONARY}: {@code <function=NAME>{...}</function>}, one per call, after any
 *       content (Functionary v3.1, and Llama 3.1 templates that prompt for it).
 *   <li>{@link #FUNCTIONARY_V32}: the prompt ends with {@code >>>} and the answer is segments, each
 *       a recipient line and its text: {@code all} and content, or a function's name and its
 *       arguments ({@code >>>} before each further segment). Functionary v3.2.
 *   <li>{@link #GENERIC}: other templates that take tools (Command R, FireFunction): a {@code
 *       <tool_call>} block, a JSON object or array as the whole answer (each call's name under
 *       {@code name} or Command R's {@code tool_name}), or FireFunction's {@code functools[...]}.
 * </ul>
 *
 * <p>Text that does not parse as a call is content: a model that starts a call and writes broken
 * JSON gets its text back as it wrote it, never a half call.
 */
enum ToolFormat {
  HERMES,
  LLAMA3,
  MISTRAL,
  DEEPSEEK_R1,
  FUNCTIONARY,
  FUNCTIONARY_V32,
  GENERIC;

  static final String OPEN = "<tool_call>";
  static final String CLOSE = "</tool_call>";

  /** DeepSeek's tool tokens, as they read in the decoded text. */
  static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";

  static final String CALLS_END = "<｜tool▁calls▁end｜>";
  static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
  static final String CALL_END = "<｜tool▁call▁end｜>";
  static final String SEP = "<｜tool▁sep｜>";

  /**
   * DeepSeek's tool tokens as models also write them: {@code ▁} as a space (an SPM vocabulary's
   * decoding), an underscore, or an escaped underscore (llama.cpp reads the same variants).
   */
  private static final java.util.regex.Pattern DEEPSEEK_TOKEN =
      java.util.regex.Pattern.compile(
          "<｜tool(?:[▁ _]|\\\\_)(calls|call|sep)(?:(?:[▁ _]|\\\\_)(begin|end))?｜>");

  /** The text with DeepSeek's tool tokens in their canonical spelling. */
  static String canonicalDeepSeek(String text) {
    return DEEPSEEK_TOKEN
        .matcher(text)
        .replaceAll(
            m ->
                java.util.regex.Matcher.quoteReplacement(
                    "<｜tool▁"
                        + m.group(1)
                        // "calls" alone is how some write the opening
                        + (m.group(2) != null
                            ? "▁" + m.group(2)
                            : m.group(1).equals("calls") ? "▁begin" : "")
                        + "｜>"));
  }

  /** Functionary v3.1's call tags. */
  static final String FUNCTION_OPEN = "<function=";

  static final String FUNCTION_CLOSE = "</function>";

  /** Functionary v3.2's segment opening, and the recipient of its content segments. */
  static final String SEGMENT = ">>>";

  static final String ALL = "all";

  /** FireFunction's opening of its calls. */
  static final String FUNCTOOLS = "functools";

  /**
   * What may open a {@link #GENERIC} answer of calls: FireFunction's {@code functools} and Command
   * R+'s {@code Action:} (a fenced JSON list after it).
   */
  static final List<String> OPENERS = List.of(FUNCTOOLS, "Action:");

  /** Command R+'s built-in tool for answering without one. */
  private static final java.util.Set<String> DIRECT_ANSWER =
      java.util.Set.of("directly-answer", "directly_answer");

  /** The opener {@code text} begins with, or null. */
  static @Nullable String opener(String text) {
    for (String o : OPENERS) {
      if (text.startsWith(o)) {
        return o;
      }
    }
    return null;
  }

  /** Whether {@code text} may yet grow into an opener. */
  static boolean mayOpen(String text) {
    for (String o : OPENERS) {
      if (o.startsWith(text)) {
        return true;
      }
    }
    return false;
  }

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
    if (s.contains(CALLS_BEGIN)) {
      return DEEPSEEK_R1;
    }
    if (s.contains(FUNCTION_OPEN)) {
      return FUNCTIONARY;
    }
    if (s.contains(SEGMENT + ALL)) {
      return FUNCTIONARY_V32;
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
      case HERMES, DEEPSEEK_R1, FUNCTIONARY_V32 -> false;
      case LLAMA3, FUNCTIONARY -> c == '{';
      case MISTRAL -> c == '[';
      case GENERIC -> c == '{' || c == '[';
    };
  }

  /** Whether calls may also begin after some content, at the tag {@link #open()}. */
  boolean tagged() {
    return this != LLAMA3 && this != MISTRAL;
  }

  /** The tag that opens the calls of a {@linkplain #tagged() tagged} format. */
  String open() {
    return switch (this) {
      case DEEPSEEK_R1 -> "<｜tool"; // the common beginning of the ways its opening is written
      case FUNCTIONARY -> FUNCTION_OPEN;
      case FUNCTIONARY_V32 -> SEGMENT;
      default -> OPEN;
    };
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
    if (this == DEEPSEEK_R1 || this == FUNCTIONARY || this == FUNCTIONARY_V32) {
      return forcedTagged(name, parameters, names);
    }
    String key = this == LLAMA3 ? "parameters" : "arguments";
    String open =
        switch (this) {
          case HERMES -> OPEN + "\n";
          case MISTRAL -> "[";
          default -> "";
        };
    String close =
        switch (this) {
          case HERMES -> "\n" + CLOSE;
          case MISTRAL -> "]";
          default -> "";
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
   * A forced call in a format whose calls name their function outside the JSON: the named call's
   * tags around its arguments; any of several functions as a JSON call object ({@code name}, {@code
   * arguments}), which {@link #parse} reads in a DeepSeek call block or as a whole answer.
   */
  private Forced forcedTagged(
      @Nullable String name, @Nullable JsonSchema parameters, List<String> names) {
    JsonSchema args = parameters == null ? JsonSchema.ANY_OBJECT : parameters;
    if (name != null) {
      String text =
          switch (this) {
            case DEEPSEEK_R1 -> CALLS_BEGIN + CALL_BEGIN + "function" + SEP + name + "\n```json\n";
            case FUNCTIONARY_V32 -> name + "\n"; // after the >>> the prompt ends with
            default -> FUNCTION_OPEN + name + ">";
          };
      String close =
          switch (this) {
            case DEEPSEEK_R1 -> "\n```" + CALL_END + CALLS_END;
            case FUNCTIONARY_V32 -> "";
            default -> FUNCTION_CLOSE;
          };
      return new Forced(text, text, args, close);
    }
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("type", "object");
    call.put(
        "properties",
        Map.of("name", Map.of("enum", List.copyOf(names)), "arguments", Map.of("type", "object")));
    call.put("required", List.of("name", "arguments"));
    call.put("additionalProperties", false);
    String open = this == DEEPSEEK_R1 ? CALLS_BEGIN + CALL_BEGIN : "";
    String close = this == DEEPSEEK_R1 ? CALL_END + CALLS_END : "";
    return new Forced(open, open, JsonSchema.compile(call), close);
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
    if (this == DEEPSEEK_R1 && canonicalDeepSeek(text).contains(CALLS_BEGIN)) {
      return blocks(
          canonicalDeepSeek(text),
          CALLS_BEGIN,
          CALLS_END,
          (body, closed) -> {
            List<Call> calls = new ArrayList<>();
            return deepSeekBlock(body, calls) ? calls : null;
          });
    }
    if (this == FUNCTIONARY_V32) {
      return segments(text);
    }
    if (this == FUNCTIONARY && text.contains(FUNCTION_OPEN)) {
      return blocks(text, FUNCTION_OPEN, FUNCTION_CLOSE, ToolFormat::function);
    }
    if (tagged() && text.contains(OPEN)) {
      return blocks(text, OPEN, CLOSE, (body, closed) -> json(body.strip()));
    }
    String opener = this == GENERIC ? opener(trimmed) : null;
    if (opener != null) {
      trimmed = unfenced(trimmed.substring(opener.length()));
    }
    if (trimmed.isEmpty() || !startsCall(trimmed.charAt(0))) {
      return null;
    }
    List<Call> calls = json(trimmed);
    return calls == null ? null : new Parsed("", calls);
  }

  /** What a block's text (between its tags) holds: its calls, or null when it is no call. */
  private interface BlockReader {
    @Nullable List<Call> read(String body, boolean closed);
  }

  /**
   * Calls in blocks between {@code open} and {@code close} tags, each read by {@code reader}: the
   * text before the first block and any between or after them is content; the last block may lack
   * its closing tag (the model stopped there).
   */
  private static @Nullable Parsed blocks(
      String text, String open, String close, BlockReader reader) {
    int at = text.indexOf(open);
    StringBuilder content = new StringBuilder(text.substring(0, at));
    List<Call> calls = new ArrayList<>();
    while (at >= 0) {
      int from = at + open.length();
      int end = text.indexOf(close, from);
      List<Call> some = reader.read(text.substring(from, end < 0 ? text.length() : end), end >= 0);
      if (some == null) {
        return null;
      }
      calls.addAll(some);
      int next = end < 0 ? text.length() : end + close.length();
      at = text.indexOf(open, next);
      String between = text.substring(next, at < 0 ? text.length() : at);
      if (!between.isBlank()) {
        content.append(between);
      }
    }
    return new Parsed(content.toString(), calls);
  }

  /**
   * DeepSeek's block: {@code <｜tool▁calls▁begin｜>}, calls each between {@code <｜tool▁call▁begin｜>}
   * and {@code <｜tool▁call▁end｜>} ({@code TYPE<｜tool▁sep｜>NAME}, a line break, the arguments,
   * fenced or not; or a JSON call object), {@code <｜tool▁calls▁end｜>}. The last call and the block
   * may lack their ends (the model stopped there). Text before and after the block is content.
   */
  /**
   * The calls of one DeepSeek block (what stands between {@code <｜tool▁calls▁begin｜>} and {@code
   * <｜tool▁calls▁end｜>}) into {@code calls}: each between {@code <｜tool▁call▁begin｜>} and {@code
   * <｜tool▁call▁end｜>}, {@code TYPE<｜tool▁sep｜>NAME}, a line break and the arguments (fenced or
   * not), or a JSON call object; the last may lack its end. False when one does not parse.
   */
  private static boolean deepSeekBlock(String block, List<Call> calls) {
    int from = block.indexOf(CALL_BEGIN);
    if (from < 0 || !block.substring(0, from).isBlank()) {
      return false;
    }
    while (from >= 0) {
      int start = from + CALL_BEGIN.length();
      int end = block.indexOf(CALL_END, start);
      String body = block.substring(start, end < 0 ? block.length() : end);
      int sep = body.indexOf(SEP);
      if (sep < 0) {
        List<Call> some = json(body.strip());
        if (some == null) {
          return false;
        }
        calls.addAll(some);
      } else {
        String rest = body.substring(sep + SEP.length());
        int line = rest.indexOf('\n');
        if (line < 0 && end < 0) {
          return false; // cut short in the name: no call to make
        }
        String name = (line < 0 ? rest : rest.substring(0, line)).strip();
        Call c = named(name, unfenced(line < 0 ? "" : rest.substring(line + 1)), end >= 0);
        if (c == null) {
          return false;
        }
        calls.add(c);
      }
      if (end < 0) {
        break;
      }
      int next = block.indexOf(CALL_BEGIN, end + CALL_END.length());
      String between = block.substring(end + CALL_END.length(), next < 0 ? block.length() : next);
      if (!between.isBlank()) {
        return false;
      }
      from = next;
    }
    return true;
  }

  /** Functionary v3.1's {@code NAME>ARGS} between {@code <function=} and {@code </function>}. */
  private static @Nullable List<Call> function(String body, boolean closed) {
    int gt = body.indexOf('>');
    Call c =
        gt < 0
            ? null
            : named(body.substring(0, gt).strip(), body.substring(gt + 1).strip(), closed);
    return c == null ? null : List.of(c);
  }

  /**
   * Functionary v3.2's segments (the first one's {@code >>>} is the prompt's): {@code all} segments
   * are content, the others calls of the function they name (or a JSON call object, as a forced
   * choice among tools writes one). Null when none is a call.
   */
  private static @Nullable Parsed segments(String text) {
    String[] parts =
        (text.startsWith(SEGMENT) ? text.substring(SEGMENT.length()) : text).split(SEGMENT, -1);
    StringBuilder content = new StringBuilder();
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      int line = part.indexOf('\n');
      String recipient = (line < 0 ? part : part.substring(0, line)).strip();
      String body = line < 0 ? "" : part.substring(line + 1);
      if (recipient.equals(ALL)) {
        content.append(body);
        continue;
      }
      List<Call> some;
      if (recipient.startsWith("{")) {
        some = json(part.strip());
      } else {
        // the last segment may be cut short: then it must hold whole arguments
        Call c = line < 0 ? null : named(recipient, body.strip(), i < parts.length - 1);
        some = c == null ? null : List.of(c);
      }
      if (some == null) {
        return null;
      }
      calls.addAll(some);
    }
    return calls.isEmpty() ? null : new Parsed(content.toString(), calls);
  }

  /** Arguments inside a {@code ```json} (or bare {@code ```}) fence, or as they are. */
  static String unfenced(String text) {
    String t = text.strip();
    if (t.startsWith("```")) {
      int line = t.indexOf('\n');
      t = line < 0 ? "" : t.substring(line + 1);
      if (t.endsWith("```")) {
        t = t.substring(0, t.length() - 3);
      }
    }
    return t.strip();
  }

  /**
   * A call of {@code name} whose arguments are the JSON object {@code args}, nothing after it;
   * empty arguments are none only in a call that was {@code closed} (one cut short is no call).
   */
  private static @Nullable Call named(String name, String args, boolean closed) {
    if (name.isEmpty() || name.chars().anyMatch(Character::isWhitespace)) {
      return null;
    }
    if (args.isEmpty()) {
      return closed ? new Call(name, "{}") : null;
    }
    try {
      JsonNode node = WHOLE.readTree(args);
      return node != null && node.isObject() ? new Call(name, Json.string(node)) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads one JSON value and nothing after it. */
  private static final com.fasterxml.jackson.databind.ObjectReader WHOLE =
      Json.MAPPER
          .readerFor(JsonNode.class)
          .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
    JsonNode name = source.has("name") ? source.get("name") : source.get("tool_name");
    if (name != null && DIRECT_ANSWER.contains(name.asText())) {
      return null; // Command R+'s built-in "no tool": the answer is text, not a call
    }
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

package dev.shelf.providers.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.Json;
import dev.shelf.engine.grammar.JsonGrammar;
import dev.shelf.engine.grammar.JsonSchema;
import dev.shelf.engine.template.ChatTemplate;
import dev.shelf.engine.template.ChatTemplateException;
import dev.shelf.engine.template.TemplateInput;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A chat request as a local model's prompt: its messages and tools rendered by the model's chat
 * template, the way transformers' {@code apply_chat_template} is given them.
 *
 * <h2>Tools</h2>
 *
 * A template that takes tools gets them as OpenAI's function definitions, the assistant's earlier
 * calls as {@code tool_calls} (arguments as a map) and tool results as {@code tool} messages with
 * their {@code tool_call_id} and function {@code name}. A template that takes none (and the ChatML
 * fallback) gets Hermes-style instructions listing the tools in its system message (or, when it
 * refuses a system message, in the first user message), earlier calls written as {@code
 * <tool_call>} blocks and results as {@code <tool_response>} user turns, so any instruction-tuned
 * model can call tools.
 *
 * <p>{@code tool_choice}: {@code none} renders no tools and reads no calls; {@code auto} (the
 * default) lets the model choose; {@code required} and a named function end the prompt with the
 * opening of a call ({@link ToolFormat#forced}) and constrain the rest to a call: the named tool's
 * arguments to its parameters' schema, or for {@code required} a call object naming one of the
 * tools.
 *
 * <h2>Structured output</h2>
 *
 * {@code response_format} {@code json_object} or {@code json_schema} constrains the answer to such
 * JSON ({@link JsonGrammar}) unless tools may be called (then the model chooses, unconstrained); a
 * schema that cannot be enforced is a 400 naming {@code response_format}.
 *
 * @param text the rendered prompt, the forced call opening included
 * @param format how calls are read from the answer, or null when the request has no active tools
 * @param forced the opening of a forced call the prompt ends with, or empty
 * @param parallel whether more than one call may be returned ({@code parallel_tool_calls})
 * @param output the JSON the answer is constrained to (a forced call's, or {@code
 *     response_format}'s when no tools may be called), or null for free text
 */
record ChatPrompt(
    String text,
    @Nullable ToolFormat format,
    String forced,
    boolean parallel,
    @Nullable Output output,
    Thinking thinking) {

  /**
   * Whether the answer's {@code <think>...</think>} is split off as reasoning ({@link
   * ThinkStream}): not at all, open from the start (the prompt opened it), or if the answer opens
   * it (the template knows the tag).
   */
  enum Thinking {
    NONE,
    OPEN,
    IF_OPENED
  }

  /** The JSON the answer must be ({@link JsonGrammar}), and the text that must close it. */
  record Output(JsonSchema schema, String suffix) {
    JsonGrammar grammar() {
      return new JsonGrammar(schema, suffix);
    }
  }

  /** The instructions for templates that take no tools, as Qwen 2.5's template words them. */
  static String instructions(List<Map<String, Object>> tools) {
    StringBuilder sb =
        new StringBuilder(
            "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n"
                + "<tools>");
    for (Map<String, Object> t : tools) {
      sb.append('\n').append(Json.string(Json.MAPPER.valueToTree(t)));
    }
    return sb.append(
            "\n</tools>\n\nFor each function call, return a json object with function name and"
                + " arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
                + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")
        .toString();
  }

  static ChatPrompt of(ChatRequest request, ChatTemplate template, Path model) {
    List<ChatRequest.Tool> tools = request.tools() == null ? List.of() : request.tools();
    @Nullable String named = null;
    boolean required = false;
    boolean active = !tools.isEmpty();
    JsonNode choice = request.toolChoice();
    if (choice != null && !choice.isNull()) {
      if (choice.isTextual()) {
        switch (choice.asText()) {
          case "none" -> active = false;
          case "auto" -> {}
          case "required" -> required = true;
          default ->
              throw LocalParams.bad(
                  "tool_choice",
                  "Invalid 'tool_choice': expected 'none', 'auto', 'required' or a function, got '"
                      + choice.asText()
                      + "'.");
        }
      } else {
        JsonNode name = choice.path("function").path("name");
        if (!name.isTextual()) {
          throw LocalParams.bad(
              "tool_choice",
              "Invalid 'tool_choice': expected {\"type\": \"function\", \"function\": {\"name\":"
                  + " ...}}.");
        }
        named = name.asText();
        required = true;
      }
      if (required && tools.isEmpty()) {
        throw LocalParams.bad(
            "tool_choice", "Invalid 'tool_choice': it calls for a tool but 'tools' is empty.");
      }
      String wanted = named;
      if (wanted != null && tools.stream().noneMatch(t -> t.name().equals(wanted))) {
        throw LocalParams.bad(
            "tool_choice",
            "Invalid 'tool_choice': function '" + wanted + "' is not one of the request's tools.");
      }
    }
    if (required && named == null && tools.size() == 1) {
      named = tools.getFirst().name();
    }
    boolean takesTools = ToolFormat.takesTools(template);
    ToolFormat format = ToolFormat.of(template);
    List<Map<String, Object>> functions = active ? functions(tools) : List.of();
    List<Map<String, Object>> messages = messages(request.messages(), takesTools, format);
    Map<String, Object> kwargs = kwargs(request);
    ToolFormat.Forced forced = null;
    if (active && required) {
      forced =
          format.forced(
              named, parameters(tools, named), tools.stream().map(t -> t.name()).toList());
    }
    Output output =
        forced != null
            ? new Output(forced.schema(), forced.suffix())
            : active
                ? null
                : request.responseFormat() != null
                    ? output(request.responseFormat())
                    : output(request.extra());
    String text;
    try {
      if (takesTools || functions.isEmpty()) {
        TemplateInput input = input(messages, kwargs);
        text = template.render(active ? input.withTools(functions) : input);
      } else {
        text = renderWithInstructions(template, messages, instructions(functions), kwargs);
      }
    } catch (RuntimeException e) {
      throw new ProviderException(
          Kind.BAD_REQUEST,
          "the chat template of " + model + " failed: " + e.getMessage(),
          "invalid_request_error",
          "messages",
          0,
          null,
          e);
    }
    if (format == ToolFormat.FUNCTIONARY_V32
        && forced == null
        && (!active || output != null)
        && text.endsWith(ToolFormat.SEGMENT)) {
      // no calls to read: the answer is content, whose recipient line the prompt writes
      text = text + ToolFormat.ALL + "\n";
    }
    if ((forced != null || output != null) && ThinkStream.opens(text)) {
      // the template opened the thinking: constrained output is the answer, after it
      text = text + ThinkStream.CLOSE + "\n\n";
    }
    return new ChatPrompt(
        forced == null ? text : text + forced.prompt(),
        active ? format : null,
        forced == null ? "" : forced.text(),
        !Boolean.FALSE.equals(request.parallelToolCalls()),
        output,
        forced != null || output != null ? Thinking.NONE : thinking(request, template, text));
  }

  /**
   * How the answer's thinking is read: llama.cpp's {@code reasoning_format} extra, {@code none}
   * keeps it in the content; otherwise it is split when the prompt opens it or the template knows
   * the tag.
   */
  private static Thinking thinking(ChatRequest request, ChatTemplate template, String prompt) {
    JsonNode format = request.extra().get("reasoning_format");
    if (format != null && format.isTextual() && format.asText().equals("none")) {
      return Thinking.NONE;
    }
    if (ThinkStream.opens(prompt)) {
      return Thinking.OPEN;
    }
    return template.source().contains(ThinkStream.OPEN) ? Thinking.IF_OPENED : Thinking.NONE;
  }

  /**
   * The schema of the named tool's arguments, or null (any object) for none or one that constrained
   * output cannot enforce: the call is still made, its arguments only checked as JSON.
   */
  private static @Nullable JsonSchema parameters(
      List<ChatRequest.Tool> tools, @Nullable String name) {
    for (ChatRequest.Tool t : tools) {
      if (t.name().equals(name) && t.parameters() != null) {
        try {
          return JsonSchema.compile(Json.MAPPER.convertValue(t.parameters(), Object.class));
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return null;
  }

  /**
   * The JSON the extensions of other servers ask for, or null: llama.cpp's {@code json_schema} and
   * vLLM's {@code guided_json} (a schema, or its JSON text), and for completions {@code
   * response_format} as an extra field.
   */
  static @Nullable Output output(ObjectNode extra) {
    JsonNode format = extra.get("response_format");
    if (format != null && format.isObject()) {
      String type = format.path("type").asText("");
      JsonNode schema = format.path("json_schema").path("schema");
      return output(
          new ChatRequest.ResponseFormat(
              type, null, schema.isMissingNode() ? null : schema, null, null));
    }
    for (String field : List.of("json_schema", "guided_json")) {
      JsonNode schema = extra.get(field);
      if (schema == null || schema.isNull()) {
        continue;
      }
      if (schema.isTextual()) {
        try {
          schema = Json.MAPPER.readTree(schema.asText());
        } catch (IOException e) {
          throw LocalParams.bad(field, "Invalid '" + field + "': not JSON: " + e.getMessage());
        }
      }
      try {
        return new Output(JsonSchema.compile(Json.MAPPER.convertValue(schema, Object.class)), "");
      } catch (IllegalArgumentException e) {
        throw LocalParams.bad(
            field,
            "Invalid '"
                + field
                + "': the local provider cannot enforce this schema: "
                + e.getMessage());
      }
    }
    return null;
  }

  /** What {@code response_format} asks the answer to be, or null for free text. */
  static @Nullable Output output(ChatRequest.@Nullable ResponseFormat format) {
    if (format == null || format.type().equals("text")) {
      return null;
    }
    return switch (format.type()) {
      case "json_object" -> new Output(JsonSchema.ANY_OBJECT, "");
      case "json_schema" -> {
        if (format.schema() == null) {
          throw LocalParams.bad(
              "response_format", "Invalid 'response_format': json_schema needs a 'schema'.");
        }
        try {
          yield new Output(
              JsonSchema.compile(Json.MAPPER.convertValue(format.schema(), Object.class)), "");
        } catch (IllegalArgumentException e) {
          throw LocalParams.bad(
              "response_format",
              "Invalid 'response_format': the local provider cannot enforce this schema: "
                  + e.getMessage());
        }
      }
      default ->
          throw LocalParams.bad(
              "response_format",
              "Invalid 'response_format': type '"
                  + format.type()
                  + "' is not one of text, json_object, json_schema.");
    };
  }

  /**
   * The request's {@code chat_template_kwargs} (vLLM's and llama.cpp's extension): more template
   * variables, such as Qwen3's {@code enable_thinking: false}.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> kwargs(ChatRequest request) {
    JsonNode node = request.extra().get("chat_template_kwargs");
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw LocalParams.bad(
          "chat_template_kwargs",
          "Invalid 'chat_template_kwargs': expected an object of template variables.");
    }
    return Json.MAPPER.convertValue(node, Map.class);
  }

  private static TemplateInput input(
      List<Map<String, Object>> messages, Map<String, Object> kwargs) {
    TemplateInput input = TemplateInput.of(messages);
    for (Map.Entry<String, Object> e : kwargs.entrySet()) {
      input = input.withKwarg(e.getKey(), e.getValue());
    }
    return input;
  }

  /** The tools as transformers passes them: OpenAI's {@code {"type": "function", ...}} maps. */
  private static List<Map<String, Object>> functions(List<ChatRequest.Tool> tools) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ChatRequest.Tool t : tools) {
      Map<String, Object> fn = new LinkedHashMap<>();
      fn.put("name", t.name());
      if (t.description() != null) {
        fn.put("description", t.description());
      }
      fn.put(
          "parameters",
          t.parameters() == null
              ? Map.of("type", "object", "properties", Map.of())
              : Json.MAPPER.convertValue(t.parameters(), Object.class));
      Map<String, Object> tool = new LinkedHashMap<>();
      tool.put("type", "function");
      tool.put("function", fn);
      out.add(tool);
    }
    return out;
  }

  /**
   * The instructions in a system message (the first, or a new one); a template that refuses system
   * messages gets them at the start of the first user message instead.
   */
  private static String renderWithInstructions(
      ChatTemplate template,
      List<Map<String, Object>> messages,
      String instructions,
      Map<String, Object> kwargs) {
    List<Map<String, Object>> withSystem = new ArrayList<>(messages);
    if (!withSystem.isEmpty() && "system".equals(withSystem.getFirst().get("role"))) {
      Map<String, Object> first = new LinkedHashMap<>(withSystem.getFirst());
      first.put("content", first.get("content") + "\n\n" + instructions);
      withSystem.set(0, first);
      return template.render(input(withSystem, kwargs));
    }
    withSystem.addFirst(message("system", instructions));
    try {
      return template.render(input(withSystem, kwargs));
    } catch (ChatTemplateException refused) {
      List<Map<String, Object>> inUser = new ArrayList<>(messages);
      for (int i = 0; i < inUser.size(); i++) {
        if ("user".equals(inUser.get(i).get("role"))) {
          Map<String, Object> user = new LinkedHashMap<>(inUser.get(i));
          user.put("content", instructions + "\n\n" + user.get("content"));
          inUser.set(i, user);
          return template.render(input(inUser, kwargs));
        }
      }
      throw refused;
    }
  }

  /**
   * The messages as template maps. {@code developer} is {@code system} to templates and {@code
   * function} (legacy) is {@code tool}.
   */
  static List<Map<String, Object>> messages(
      List<ChatMessage> messages, boolean takesTools, ToolFormat format) {
    Map<String, String> callNames = new HashMap<>();
    Map<String, String> ids = new HashMap<>();
    List<Map<String, Object>> out = new ArrayList<>();
    for (ChatMessage msg : messages) {
      String role =
          switch (msg.role()) {
            case "developer" -> "system";
            case "function" -> "tool";
            default -> msg.role();
          };
      List<ChatMessage.ToolCall> calls = msg.toolCalls() == null ? List.of() : msg.toolCalls();
      String content = msg.textContent();
      if ("assistant".equals(role) && !calls.isEmpty()) {
        for (ChatMessage.ToolCall c : calls) {
          callNames.put(c.id(), c.name());
        }
        if (takesTools) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("role", role);
          if (!content.isEmpty()) {
            m.put("content", content);
          }
          List<Map<String, Object>> list = new ArrayList<>();
          for (ChatMessage.ToolCall c : calls) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", c.name());
            fn.put("arguments", arguments(c.arguments()));
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("id", id(c.id(), format, ids));
            call.put("type", "function");
            call.put("function", fn);
            list.add(call);
          }
          m.put("tool_calls", list);
          out.add(m);
        } else {
          StringBuilder sb = new StringBuilder(content);
          for (ChatMessage.ToolCall c : calls) {
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("name", c.name());
            call.put("arguments", arguments(c.arguments()));
            sb.append(sb.isEmpty() ? "" : "\n")
                .append(ToolFormat.OPEN)
                .append('\n')
                .append(Json.string(Json.MAPPER.valueToTree(call)))
                .append('\n')
                .append(ToolFormat.CLOSE);
          }
          out.add(message(role, sb.toString()));
        }
      } else if ("tool".equals(role)) {
        String callId = msg.toolCallId();
        if (takesTools) {
          Map<String, Object> m = message(role, content);
          if (callId != null) {
            m.put("tool_call_id", id(callId, format, ids));
          }
          @Nullable String name =
              msg.name() != null ? msg.name() : callId == null ? null : callNames.get(callId);
          if (name != null) {
            m.put("name", name);
          }
          out.add(m);
        } else {
          String response = "<tool_response>\n" + content + "\n</tool_response>";
          @Nullable Map<String, Object> last = out.isEmpty() ? null : out.getLast();
          if (last != null && Boolean.TRUE.equals(last.get(TOOL_TURN))) {
            last.put("content", last.get("content") + "\n" + response);
          } else {
            Map<String, Object> m = message("user", response);
            m.put(TOOL_TURN, true);
            out.add(m);
          }
        }
      } else {
        out.add(message(role, content));
      }
    }
    for (Map<String, Object> m : out) {
      m.remove(TOOL_TURN);
    }
    return out;
  }

  /** Marks, while converting, a user turn made of tool results (later results join it). */
  private static final String TOOL_TURN = "\u0000tool_turn";

  private static Map<String, Object> message(String role, String content) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }

  /** Arguments as transformers passes them: the JSON object as a map, other text as it is. */
  private static Object arguments(String json) {
    try {
      JsonNode node = Json.MAPPER.readTree(json);
      if (node != null && node.isObject()) {
        return Json.MAPPER.convertValue(node, Object.class);
      }
    } catch (IOException e) {
      // not JSON: the template gets the text
    }
    return json;
  }

  /**
   * A call id for the template: Mistral's template demands nine letters and digits, so other ids
   * (OpenAI's {@code call_...}) are numbered {@code call00000}, {@code call00001}, ... in the order
   * they appear, the same id to the same number.
   */
  private static String id(String id, ToolFormat format, Map<String, String> ids) {
    if (format != ToolFormat.MISTRAL || id.matches("[A-Za-z0-9]{9}")) {
      return id;
    }
    return ids.computeIfAbsent(id, k -> String.format(Locale.ROOT, "call%05d", ids.size()));
  }

  /** A new call id: {@code call_} and 24 letters and digits, or nine of them for Mistral. */
  static String newCallId(ToolFormat format) {
    String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int n = format == ToolFormat.MISTRAL ? 9 : 24;
    StringBuilder sb = new StringBuilder(format == ToolFormat.MISTRAL ? "" : "call_");
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < n; i++) {
      sb.append(chars.charAt(random.nextInt(chars.length())));
    }
    return sb.toString();
  }
}

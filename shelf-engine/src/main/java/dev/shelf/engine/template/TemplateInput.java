package dev.shelf.engine.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a chat template is rendered with, in the shapes transformers' {@code apply_chat_template}
 * passes to Jinja.
 *
 * <p>{@code messages}: maps with {@code role}, {@code content} (a string, or a list of parts such
 * as {@code {"type": "text", "text": ...}}), and for assistant tool calls {@code tool_calls}: a
 * list of {@code {"id": ..., "type": "function", "function": {"name": ..., "arguments": MAP}}}
 * (arguments as a map, as transformers passes them); tool results have role {@code tool}, {@code
 * content}, and {@code tool_call_id} and/or {@code name}. {@code tools}: JSON-schema function
 * definitions in OpenAI's {@code {"type": "function", "function": {"name", "description",
 * "parameters"}}} shape, or null for none (then {@code tools} is undefined in the template, which
 * these templates treat as {@code none}). {@code bosToken}/{@code eosToken}: null to use the
 * template's own (from the GGUF file). {@code kwargs}: extra variables such as {@code date_string},
 * {@code tools_in_user_message} or {@code builtin_tools}.
 */
public record TemplateInput(
    List<Map<String, Object>> messages,
    @Nullable List<Map<String, Object>> tools,
    boolean addGenerationPrompt,
    @Nullable String bosToken,
    @Nullable String eosToken,
    Map<String, Object> kwargs) {

  public TemplateInput {
    messages = List.copyOf(messages);
    tools = tools == null ? null : List.copyOf(tools);
    kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
  }

  /** The given messages, no tools, with the generation prompt, the template's own BOS/EOS. */
  public static TemplateInput of(List<? extends Map<String, ?>> messages) {
    return new TemplateInput(copy(messages), null, true, null, null, Map.of());
  }

  public TemplateInput withTools(@Nullable List<? extends Map<String, ?>> newTools) {
    return new TemplateInput(
        messages,
        newTools == null ? null : copy(newTools),
        addGenerationPrompt,
        bosToken,
        eosToken,
        kwargs);
  }

  public TemplateInput withGenerationPrompt(boolean add) {
    return new TemplateInput(messages, tools, add, bosToken, eosToken, kwargs);
  }

  public TemplateInput withSpecialTokens(@Nullable String bos, @Nullable String eos) {
    return new TemplateInput(messages, tools, addGenerationPrompt, bos, eos, kwargs);
  }

  /** Adds a template variable (transformers' {@code **kwargs}). */
  public TemplateInput withKwarg(String name, Object value) {
    Map<String, Object> more = new LinkedHashMap<>(kwargs);
    more.put(name, value);
    return new TemplateInput(messages, tools, addGenerationPrompt, bosToken, eosToken, more);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> copy(List<? extends Map<String, ?>> maps) {
    List<Map<String, Object>> out = new ArrayList<>(maps.size());
    for (Map<String, ?> m : maps) {
      out.add((Map<String, Object>) m);
    }
    return out;
  }
}

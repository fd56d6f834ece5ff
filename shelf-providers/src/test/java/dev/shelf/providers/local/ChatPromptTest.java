package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.Json;
import dev.shelf.engine.template.ChatTemplate;
import dev.shelf.providers.testing.ScriptedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A tool conversation rendered by real templates as their publishers' Jinja renders it (the
 * expected strings written by hand from the templates), and by templates without tools through
 * Shelf's own instructions.
 */
class ChatPromptTest {
  static final List<ChatRequest.Tool> TOOLS =
      List.of(
          new ChatRequest.Tool(
              "get_weather",
              "The weather in a city",
              Json.parse(
                  "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
              null));

  /** Asked, called, answered: the model's next turn is the prompt. */
  static final List<ChatMessage> CONVERSATION =
      List.of(
          ChatMessage.of("system", "You are helpful."),
          ChatMessage.of("user", "Weather in Paris?"),
          new ChatMessage(
              "assistant",
              null,
              null,
              null,
              List.of(new ChatMessage.ToolCall("call_x1", "get_weather", "{\"city\":\"Paris\"}")),
              null,
              null,
              null,
              null),
          new ChatMessage("tool", "18 C", null, null, null, "call_x1", null, null, null));

  static ChatRequest request(List<ChatMessage> messages, @Nullable List<ChatRequest.Tool> tools) {
    return request(messages, tools, null);
  }

  static ChatRequest request(
      List<ChatMessage> messages,
      @Nullable List<ChatRequest.Tool> tools,
      @Nullable JsonNode toolChoice) {
    return new ChatRequest(
        "m",
        messages,
        false,
        false,
        tools,
        toolChoice,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        Json.object());
  }

  static String render(ChatTemplate template, List<ChatMessage> messages) {
    return ChatPrompt.of(request(messages, TOOLS), template, Path.of("m.gguf")).text();
  }

  static ChatTemplate shared(String file) throws IOException {
    return ChatTemplate.of(file, ScriptedModel.sharedTemplate(file));
  }

  @Test
  void qwenGetsTheToolsTheCallAndTheResult() throws IOException {
    assertThat(render(shared("Qwen-Qwen2.5-7B-Instruct.jinja"), CONVERSATION))
        .isEqualTo(
            """
            <|im_start|>system
            You are helpful.

            # Tools

            You may call one or more functions to assist with the user query.

            You are provided with function signatures within <tools></tools> XML tags:
            <tools>
            {"type": "function", "function": {"name": "get_weather", "description": "The weather \
            in a city", "parameters": {"type": "object", "properties": {"city": {"type": \
            "string"}}}}}
            </tools>

            For each function call, return a json object with function name and arguments within \
            <tool_call></tool_call> XML tags:
            <tool_call>
            {"name": <function-name>, "arguments": <args-json-object>}
            </tool_call><|im_end|>
            <|im_start|>user
            Weather in Paris?<|im_end|>
            <|im_start|>assistant
            <tool_call>
            {"name": "get_weather", "arguments": {"city": "Paris"}}
            </tool_call><|im_end|>
            <|im_start|>user
            <tool_response>
            18 C
            </tool_response><|im_end|>
            <|im_start|>assistant
            """);
  }

  @Test
  void llamaGetsTheCallAsJsonAndTheResultAsIpython() throws IOException {
    ChatTemplate t =
        shared("meta-llama-Llama-3.2-3B-Instruct.jinja")
            .withSpecialTokens("<|begin_of_text|>", "<|eot_id|>")
            .withClock(Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC));
    String text = render(t, CONVERSATION);
    assertThat(text)
        .startsWith(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\nCutting Knowledge Date: December 2023\n"
                + "Today Date: 29 Nov 2026\n\nYou are helpful.<|eot_id|>")
        .contains(
            "Given the following functions, please respond with a JSON for a function call with"
                + " its proper arguments that best answers the given prompt.")
        .endsWith(
            "Weather in Paris?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n"
                + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
                // a string "is iterable" in Jinja2, so the template writes the result as JSON
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"18 C\"<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
  }

  @Test
  void aForcedCallComesAfterTheThinkingTheTemplateOpened() throws IOException {
    ChatRequest forced =
        request(
            List.of(ChatMessage.of("user", "Weather in Paris?")),
            TOOLS,
            Json.NODES.textNode("required"));
    String text =
        ChatPrompt.of(forced, shared("llama-cpp-deepseek-r1.jinja"), Path.of("m.gguf")).text();
    // one tool: required names it, and its call opens after the closed thinking
    assertThat(text)
        .endsWith(
            "<｜Assistant｜><think>\n</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function"
                + "<｜tool▁sep｜>get_weather\n```json\n");
  }

  @Test
  void functionaryV32AnswersContentAfterItsRecipientLineWhenNoToolsAreActive() throws IOException {
    ChatTemplate v32 = shared("meetkai-functionary-medium-v3.2.jinja");
    List<ChatMessage> ask = List.of(ChatMessage.of("user", "Hi"));
    assertThat(ChatPrompt.of(request(ask, null), v32, Path.of("m.gguf")).text())
        .endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n>>>all\n");
    // with tools the model chooses: the prompt ends at the segment opening
    assertThat(ChatPrompt.of(request(ask, TOOLS), v32, Path.of("m.gguf")).text())
        .endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n>>>");
  }

  @Test
  void chatTemplateKwargsReachTheTemplate() throws IOException {
    ChatRequest r = request(List.of(ChatMessage.of("user", "Hi")), null);
    r.extra().putObject("chat_template_kwargs").put("date_string", "01 Jan 2030");
    String text =
        ChatPrompt.of(r, shared("meta-llama-Llama-3.2-3B-Instruct.jinja"), Path.of("m.gguf"))
            .text();
    assertThat(text).contains("Today Date: 01 Jan 2030\n");
    ChatRequest bad = request(List.of(ChatMessage.of("user", "Hi")), null);
    bad.extra().put("chat_template_kwargs", "enable_thinking=false");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ChatPrompt.of(bad, ChatTemplate.fallback(), Path.of("m.gguf")))
        .isInstanceOfSatisfying(
            dev.shelf.providers.spi.ProviderException.class,
            e -> assertThat(e.param()).isEqualTo("chat_template_kwargs"));
  }

  @Test
  void mistralGetsNineCharacterCallIds() throws IOException {
    ChatTemplate t =
        shared("mistralai-Mistral-Nemo-Instruct-2407.jinja").withSpecialTokens("<s>", "</s>");
    assertThat(render(t, CONVERSATION.subList(1, 4)))
        .isEqualTo(
            "<s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
                + " \"description\": \"The weather in a city\", \"parameters\": {\"type\":"
                + " \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}]"
                + "[/AVAILABLE_TOOLS][INST]Weather in Paris?[/INST]"
                + "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"},"
                + " \"id\": \"call00000\"}]</s>"
                + "[TOOL_RESULTS]{\"content\": 18 C, \"call_id\": \"call00000\"}[/TOOL_RESULTS]");
  }

  @Test
  void aTemplateWithoutToolsGetsInstructionsAndTextTurns() {
    String text = render(ChatTemplate.fallback(), CONVERSATION);
    assertThat(text)
        .startsWith("<|im_start|>system\nYou are helpful.\n\n# Tools\n")
        .endsWith(
            "</tool_call><|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n"
                + "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}\n"
                + "</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n18 C\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n");
  }

  @Test
  void aTemplateThatRefusesSystemMessagesGetsTheInstructionsInTheFirstUserTurn()
      throws IOException {
    String text =
        render(
            shared("google-gemma-2-2b-it.jinja"),
            List.of(ChatMessage.of("user", "Weather in Paris?")));
    assertThat(text)
        .startsWith("<start_of_turn>user\n# Tools\n")
        .contains("</tool_call>\n\nWeather in Paris?<end_of_turn>\n")
        .endsWith("<start_of_turn>model\n");
  }
}

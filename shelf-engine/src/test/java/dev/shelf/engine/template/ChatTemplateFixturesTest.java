package dev.shelf.engine.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real chat templates in {@code ../shared/models/templates}, rendered as transformers' {@code
 * apply_chat_template} renders them. Expected strings were written by hand from each template's
 * source (and agree with Python Jinja2 under transformers' settings).
 */
class ChatTemplateFixturesTest {

  static Path templates() {
    return Path.of(Objects.requireNonNull(System.getProperty("shelf.root"), "shelf.root"))
        .resolve("../shared/models/templates")
        .normalize();
  }

  static ChatTemplate template(String name) throws IOException {
    return ChatTemplate.of(name, Files.readString(templates().resolve(name + ".jinja")));
  }

  static Map<String, Object> map(@Nullable Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(String.valueOf(keysAndValues[i]), keysAndValues[i + 1]);
    }
    return m;
  }

  static Map<String, Object> msg(String role, @Nullable String content) {
    return map("role", role, "content", content);
  }

  static final List<Map<String, Object>> BASIC =
      List.of(
          msg("system", "You are a helpful assistant."),
          msg("user", "Hello!"),
          msg("assistant", "Hi! How can I help?"),
          msg("user", "What is 2+2?"));

  static final List<Map<String, Object>> WEATHER_TOOLS =
      List.of(
          map(
              "type",
              "function",
              "function",
              map(
                  "name",
                  "get_weather",
                  "description",
                  "Get the current weather in a city.",
                  "parameters",
                  map(
                      "type",
                      "object",
                      "properties",
                      map(
                          "city",
                          map("type", "string", "description", "The city name"),
                          "unit",
                          map(
                              "type",
                              "string",
                              "enum",
                              List.of("celsius", "fahrenheit"),
                              "description",
                              "Temperature unit")),
                      "required",
                      List.of("city")))));

  /** System, user, an assistant tool call, the tool's result, the answer, another user turn. */
  static final List<Map<String, Object>> TOOL_CONVERSATION =
      List.of(
          msg("system", "You are a helpful assistant."),
          msg("user", "What's the weather in Paris?"),
          map(
              "role",
              "assistant",
              "content",
              null,
              "tool_calls",
              List.of(
                  map(
                      "id",
                      "call12345",
                      "type",
                      "function",
                      "function",
                      map(
                          "name",
                          "get_weather",
                          "arguments",
                          map("city", "Paris", "unit", "celsius"))))),
          map(
              "role",
              "tool",
              "tool_call_id",
              "call12345",
              "name",
              "get_weather",
              "content",
              "{\"temperature\": 22, \"sky\": \"sunny\"}"),
          msg("assistant", "It is 22°C and sunny in Paris."),
          msg("user", "Thanks!"));

  static TemplateInput basic() {
    return TemplateInput.of(BASIC).withSpecialTokens("<s>", "</s>");
  }

  static Stream<String> templateNames() throws IOException {
    try (Stream<Path> files = Files.list(templates())) {
      List<String> names = new ArrayList<>();
      files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".jinja"))
          .sorted()
          .forEach(n -> names.add(n.substring(0, n.length() - ".jinja".length())));
      assertThat(names).hasSizeGreaterThanOrEqualTo(17);
      return names.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("templateNames")
  void everyTemplateRendersABasicConversation(String name) throws IOException {
    ChatTemplate template = template(name);
    TemplateInput input = basic();
    if (name.contains("tool_use") || name.contains("firefunction")) {
      // These expect tools (firefunction takes them as a pre-rendered `functions` string).
      input =
          input.withTools(WEATHER_TOOLS).withKwarg("functions", "[]").withKwarg("datetime", "x");
    }
    if (name.equals("google-gemma-2-2b-it")) {
      // Gemma's template refuses a system message, as it does under transformers.
      TemplateInput withSystem = input;
      assertThatThrownBy(() -> template.render(withSystem))
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining(name)
          .hasMessageContaining("System role not supported");
      input = TemplateInput.of(BASIC.subList(1, 4)).withSpecialTokens("<s>", "</s>");
    }
    String out = template.render(input);
    assertThat(out).contains("Hello!").contains("Hi! How can I help?").contains("What is 2+2?");
  }

  @Test
  void qwen25Plain() throws IOException {
    assertThat(template("Qwen-Qwen2.5-7B-Instruct").render(basic()))
        .isEqualTo(
            """
            <|im_start|>system
            You are a helpful assistant.<|im_end|>
            <|im_start|>user
            Hello!<|im_end|>
            <|im_start|>assistant
            Hi! How can I help?<|im_end|>
            <|im_start|>user
            What is 2+2?<|im_end|>
            <|im_start|>assistant
            """);
    // Without a system message Qwen adds its own.
    assertThat(
            template("Qwen-Qwen2.5-7B-Instruct")
                .render(TemplateInput.of(List.of(msg("user", "Hi"))).withGenerationPrompt(false)))
        .isEqualTo(
            """
            <|im_start|>system
            You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>
            <|im_start|>user
            Hi<|im_end|>
            """);
  }

  @Test
  void qwen25WithToolCallAndToolResponse() throws IOException {
    String out =
        template("Qwen-Qwen2.5-7B-Instruct")
            .render(TemplateInput.of(TOOL_CONVERSATION).withTools(WEATHER_TOOLS));
    assertThat(out)
        .isEqualTo(
            """
            <|im_start|>system
            You are a helpful assistant.

            # Tools

            You may call one or more functions to assist with the user query.

            You are provided with function signatures within <tools></tools> XML tags:
            <tools>
            {"type": "function", "function": {"name": "get_weather", "description": "Get the current \
            weather in a city.", "parameters": {"type": "object", "properties": {"city": {"type": \
            "string", "description": "The city name"}, "unit": {"type": "string", "enum": ["celsius", \
            "fahrenheit"], "description": "Temperature unit"}}, "required": ["city"]}}}
            </tools>

            For each function call, return a json object with function name and arguments within \
            <tool_call></tool_call> XML tags:
            <tool_call>
            {"name": <function-name>, "arguments": <args-json-object>}
            </tool_call><|im_end|>
            <|im_start|>user
            What's the weather in Paris?<|im_end|>
            <|im_start|>assistant
            <tool_call>
            {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
            </tool_call><|im_end|>
            <|im_start|>user
            <tool_response>
            {"temperature": 22, "sky": "sunny"}
            </tool_response><|im_end|>
            <|im_start|>assistant
            It is 22°C and sunny in Paris.<|im_end|>
            <|im_start|>user
            Thanks!<|im_end|>
            <|im_start|>assistant
            """);
  }

  @Test
  void llama31PlainWithDefaultAndGivenDate() throws IOException {
    String expected =
        """
        <s><|start_header_id|>system<|end_header_id|>

        Cutting Knowledge Date: December 2023
        Today Date: DATE

        You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>

        Hello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>

        Hi! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>

        What is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>

        """;
    ChatTemplate llama = template("meta-llama-Llama-3.1-8B-Instruct");
    assertThat(llama.render(basic())).isEqualTo(expected.replace("DATE", "26 Jul 2024"));
    assertThat(llama.render(basic().withKwarg("date_string", "05 Sep 2024")))
        .isEqualTo(expected.replace("DATE", "05 Sep 2024"));
  }

  @Test
  void llama31WithTools() throws IOException {
    String out =
        template("meta-llama-Llama-3.1-8B-Instruct")
            .render(
                TemplateInput.of(TOOL_CONVERSATION)
                    .withTools(WEATHER_TOOLS)
                    .withSpecialTokens("<|begin_of_text|>", "<|eot_id|>"));
    // Tools go into the first user message, indented JSON; a string tool result is passed
    // through tojson because Python's `is iterable` is true for strings.
    assertThat(out)
        .isEqualTo(
            """
            <|begin_of_text|><|start_header_id|>system<|end_header_id|>

            Environment: ipython
            Cutting Knowledge Date: December 2023
            Today Date: 26 Jul 2024

            You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>

            Given the following functions, please respond with a JSON for a function call with its \
            proper arguments that best answers the given prompt.

            Respond in the format {"name": function name, "parameters": dictionary of argument name \
            and its value}.Do not use variables.

            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather in a city.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "city": {
                                "type": "string",
                                "description": "The city name"
                            },
                            "unit": {
                                "type": "string",
                                "enum": [
                                    "celsius",
                                    "fahrenheit"
                                ],
                                "description": "Temperature unit"
                            }
                        },
                        "required": [
                            "city"
                        ]
                    }
                }
            }

            What's the weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>

            {"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}<|eot_id|>\
            <|start_header_id|>ipython<|end_header_id|>

            "{\\"temperature\\": 22, \\"sky\\": \\"sunny\\"}"<|eot_id|><|start_header_id|>assistant\
            <|end_header_id|>

            It is 22°C and sunny in Paris.<|eot_id|><|start_header_id|>user<|end_header_id|>

            Thanks!<|eot_id|><|start_header_id|>assistant<|end_header_id|>

            """);
  }

  @Test
  void mistralNemo() throws IOException {
    ChatTemplate nemo = template("mistralai-Mistral-Nemo-Instruct-2407");
    // The system message goes into the last user turn.
    assertThat(nemo.render(basic()))
        .isEqualTo(
            "<s>[INST]Hello![/INST]Hi! How can I help?</s>[INST]You are a helpful assistant.\n\n"
                + "What is 2+2?[/INST]");
    assertThat(nemo.render(TemplateInput.of(TOOL_CONVERSATION).withTools(WEATHER_TOOLS)))
        .isEqualTo(
            "[INST]What's the weather in Paris?[/INST][TOOL_CALLS][{\"name\": \"get_weather\","
                + " \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}, \"id\":"
                + " \"call12345\"}][TOOL_RESULTS]{\"content\": {\"temperature\": 22, \"sky\":"
                + " \"sunny\"}, \"call_id\": \"call12345\"}[/TOOL_RESULTS]It is 22°C and sunny in"
                + " Paris.[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\":"
                + " \"get_weather\", \"description\": \"Get the current weather in a city.\","
                + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\":"
                + " \"string\", \"description\": \"The city name\"}, \"unit\": {\"type\":"
                + " \"string\", \"enum\": [\"celsius\", \"fahrenheit\"], \"description\":"
                + " \"Temperature unit\"}}, \"required\": [\"city\"]}}}][/AVAILABLE_TOOLS]"
                + "[INST]You are a helpful assistant.\n\nThanks![/INST]");
    assertThatThrownBy(
            () -> nemo.render(TemplateInput.of(List.of(msg("user", "a"), msg("user", "b")))))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("mistralai-Mistral-Nemo-Instruct-2407")
        .hasMessageContaining("conversation roles must alternate");
  }

  @Test
  void gemma2RefusesSystemAndRendersTurns() throws IOException {
    ChatTemplate gemma = template("google-gemma-2-2b-it");
    assertThatThrownBy(() -> gemma.render(basic()))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessage(
            "chat template 'google-gemma-2-2b-it' failed: raise_exception: System role not"
                + " supported");
    assertThat(gemma.render(TemplateInput.of(BASIC.subList(1, 4)).withSpecialTokens("<bos>", "")))
        .isEqualTo(
            """
            <bos><start_of_turn>user
            Hello!<end_of_turn>
            <start_of_turn>model
            Hi! How can I help?<end_of_turn>
            <start_of_turn>user
            What is 2+2?<end_of_turn>
            <start_of_turn>model
            """);
  }

  @Test
  void phi35() throws IOException {
    ChatTemplate phi = template("microsoft-Phi-3.5-mini-instruct");
    assertThat(phi.render(basic()))
        .isEqualTo(
            """
            <|system|>
            You are a helpful assistant.<|end|>
            <|user|>
            Hello!<|end|>
            <|assistant|>
            Hi! How can I help?<|end|>
            <|user|>
            What is 2+2?<|end|>
            <|assistant|>
            """);
    // Without the generation prompt the template ends with EOS.
    assertThat(
            phi.render(
                TemplateInput.of(List.of(msg("user", "Hi")))
                    .withGenerationPrompt(false)
                    .withSpecialTokens("<s>", "<|endoftext|>")))
        .isEqualTo("<|user|>\nHi<|end|>\n<|endoftext|>");
  }

  @Test
  void deepSeekR1DistillQwen() throws IOException {
    ChatTemplate r1 = template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B");
    assertThat(r1.render(basic().withSpecialTokens("<｜begin▁of▁sentence｜>", "")))
        .isEqualTo(
            "<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>Hello!<｜Assistant｜>Hi!"
                + " How can I help?<｜end▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n");
    // Earlier reasoning is cut at </think>; without add_generation_prompt nothing is appended.
    TemplateInput withThinking =
        TemplateInput.of(
                List.of(
                    msg("user", "Q"),
                    msg("assistant", "<think>\nhmm\n</think>\n\nAnswer."),
                    msg("user", "Again")))
            .withGenerationPrompt(false)
            .withSpecialTokens("<s>", "");
    assertThat(r1.render(withThinking))
        .isEqualTo("<s><｜User｜>Q<｜Assistant｜>\n\nAnswer.<｜end▁of▁sentence｜><｜User｜>Again");
  }

  @Test
  void hermes3WithTools() throws IOException {
    String out =
        template("NousResearch-Hermes-3-Llama-3.1-8B-tool_use")
            .render(
                TemplateInput.of(TOOL_CONVERSATION)
                    .withTools(WEATHER_TOOLS)
                    .withSpecialTokens("<|begin_of_text|>", "<|im_end|>"));
    // Uses a recursive macro, `|items`, and loop.previtem/loop.nextitem for the tool turn.
    assertThat(out)
        .isEqualTo(
            """
            <|begin_of_text|><|im_start|>system
            You are a function calling AI model. You are provided with function signatures within \
            <tools></tools> XML tags. You may call one or more functions to assist with the user \
            query. Don't make assumptions about what values to plug into functions. Here are the \
            available tools: <tools> {"type": "function", "function": {"name": "get_weather", \
            "description": "get_weather(city: str, unit: str) - Get the current weather in a city.

                Args:
                    city(str): The city name        unit(str): Temperature unit", "parameters": \
            {"type": "object", "properties": {"city": {"type": "string", "description": "The city \
            name"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": \
            "Temperature unit"}}, "required": ["city"]}} </tools>Use the following pydantic model \
            json schema for each tool call you will make: {"properties": {"name": {"title": \
            "Name", "type": "string"}, "arguments": {"title": "Arguments", "type": "object"}}, \
            "required": ["name", "arguments"], "title": "FunctionCall", "type": "object"}}
            For each function call return a json object with function name and arguments within \
            <tool_call></tool_call> XML tags as follows:
            <tool_call>
            {"name": <function-name>, "arguments": <args-dict>}
            </tool_call><|im_end|>
            <|im_start|>system
            You are a helpful assistant.<|im_end|>
            <|im_start|>user
            What's the weather in Paris?<|im_end|>
            <|im_start|>assistant
            <tool_call>
            {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
            </tool_call><|im_end|>
            <|im_start|>tool
            <tool_response>
            {"temperature": 22, "sky": "sunny"}
            </tool_response>
            <|im_end|><|im_start|>assistant
            It is 22°C and sunny in Paris.<|im_end|>
            <|im_start|>user
            Thanks!<|im_end|>
            <|im_start|>assistant
            """);
  }

  @Test
  void stories260kHasNoTemplateAndGetsTheChatMlFallback() throws IOException {
    Path gguf = templates().resolve("../stories260k/stories260K.gguf").normalize();
    ChatTemplate t = ChatTemplate.fromGguf(gguf);
    assertThat(t.isFallback()).isTrue();
    assertThat(t.name()).isEqualTo(ChatTemplate.FALLBACK_NAME);
    assertThat(t.render(basic()))
        .isEqualTo(
            """
            <|im_start|>system
            You are a helpful assistant.<|im_end|>
            <|im_start|>user
            Hello!<|im_end|>
            <|im_start|>assistant
            Hi! How can I help?<|im_end|>
            <|im_start|>user
            What is 2+2?<|im_end|>
            <|im_start|>assistant
            """);
  }
}

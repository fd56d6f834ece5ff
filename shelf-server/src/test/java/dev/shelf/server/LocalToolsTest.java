package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolUseBlock;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import dev.shelf.api.Json;
import dev.shelf.providers.testing.ScriptedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local model calling tools, as the official SDKs see it: a GGUF file with Qwen 2.5's chat
 * template whose answer is a sentence and a {@code <tool_call>} block ({@link ScriptedModel}),
 * served by {@code ./shelf serve}'s local provider, read back as OpenAI tool calls (streamed and
 * not) and as Anthropic {@code tool_use} blocks, and the tool result sent back in the next turn.
 */
class LocalToolsTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  @TempDir static Path dir;
  static ShelfHarness shelf;
  static OpenAIClient client;

  /** The same function the OpenAI SDK test offers its stub upstream. */
  static final FunctionDefinition WEATHER = OpenAiSdkTest.WEATHER;

  /** The official Anthropic SDK on this server, validating what it gets. */
  static AnthropicClient anthropic() {
    return AnthropicOkHttpClient.builder()
        .baseUrl("http://127.0.0.1:" + shelf.port())
        .apiKey(MASTER)
        .responseValidation(true)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(30))
        .build();
  }

  @BeforeAll
  static void start() throws IOException {
    ScriptedModel.write(
        dir.resolve("qwen-tools.gguf"),
        ScriptedModel.sharedTemplate("Qwen-Qwen2.5-7B-Instruct.jinja"),
        List.of(
            "I will look it up.",
            "\n<tool_call>\n",
            "{\"name\": \"get_weather\", \"arguments\": ",
            "{\"city\": \"Paris\"}}",
            "\n</tool_call>"));
    ScriptedModel.write(
        dir.resolve("city-json.gguf"),
        null,
        List.of("{\"city\": \"Paris\"", ", \"country\": \"FR\"", "}"));
    ScriptedModel.write(
        dir.resolve("r1.gguf"),
        ScriptedModel.sharedTemplate("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"),
        List.of("The user asks about", " cats.", "</think>", "\n\n", "Cats purr."));
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            providers:
              local: {type: local, options: {dir: "%s", threads: 2}}
            models:
              - {id: qwen-tools, provider: local, upstream: qwen-tools.gguf}
              - {id: city-json, provider: local, upstream: city-json.gguf}
              - {id: r1, provider: local, upstream: r1.gguf}
            """
                .formatted(MASTER, dir));
    client = shelf.sdk(MASTER);
  }

  @AfterAll
  static void stop() {
    shelf.close();
  }

  static ChatCompletionCreateParams.Builder ask() {
    return ChatCompletionCreateParams.builder()
        .model("qwen-tools")
        .addUserMessage("What is the weather in Paris?")
        .addFunctionTool(WEATHER)
        .maxCompletionTokens(64);
  }

  static void assertCallsWeather(ChatCompletion c) throws IOException {
    ChatCompletion.Choice choice = c.choices().getFirst();
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    assertThat(choice.message().content()).hasValue("I will look it up.");
    List<ChatCompletionMessageFunctionToolCall> calls =
        choice.message().toolCalls().orElseThrow().stream()
            .map(ChatCompletionMessageToolCall::asFunction)
            .toList();
    assertThat(calls).hasSize(1);
    assertThat(calls.getFirst().id()).startsWith("call_");
    assertThat(calls.getFirst().function().name()).isEqualTo("get_weather");
    assertThat(Json.MAPPER.readTree(calls.getFirst().function().arguments()))
        .isEqualTo(Json.object().put("city", "Paris"));
  }

  @Test
  void theOpenAiSdkGetsAToolCallWholeAndStreamed() throws IOException {
    ChatCompletion whole = client.chat().completions().create(ask().build());
    assertCallsWeather(whole);
    assertThat(whole.usage().orElseThrow().completionTokens()).isEqualTo(6); // 5 pieces + EOS
    var acc = ChatCompletionAccumulator.create();
    try (var s = client.chat().completions().createStreaming(ask().build())) {
      s.stream().forEach(acc::accumulate);
    }
    assertCallsWeather(acc.chatCompletion());
  }

  @Test
  void theToolResultGoesBackInTheNextTurn() throws IOException {
    ChatCompletion first = client.chat().completions().create(ask().build());
    ChatCompletion.Choice choice = first.choices().getFirst();
    String id = choice.message().toolCalls().orElseThrow().getFirst().asFunction().id();
    ChatCompletion next =
        client
            .chat()
            .completions()
            .create(
                ask()
                    .addMessage(choice.message())
                    .addMessage(
                        ChatCompletionToolMessageParam.builder()
                            .toolCallId(id)
                            .content("{\"temp_c\": 21}")
                            .build())
                    .build());
    // the prompt now holds the call and its result: longer by both, and the model answers
    assertThat(next.usage().orElseThrow().promptTokens())
        .isGreaterThan(first.usage().orElseThrow().promptTokens() + 20);
    assertCallsWeather(next);
  }

  @Test
  void aJsonSchemaResponseFormatHoldsTheAnswerToTheSchema() throws IOException {
    ChatCompletionCreateParams.Builder ask =
        ChatCompletionCreateParams.builder()
            .model("city-json")
            .addUserMessage("Where?")
            .maxCompletionTokens(64);
    String free =
        client
            .chat()
            .completions()
            .create(ask.build())
            .choices()
            .getFirst()
            .message()
            .content()
            .orElseThrow();
    assertThat(Json.MAPPER.readTree(free).has("country")).isTrue();
    ResponseFormatJsonSchema format =
        ResponseFormatJsonSchema.builder()
            .jsonSchema(
                ResponseFormatJsonSchema.JsonSchema.builder()
                    .name("place")
                    .strict(true)
                    .schema(
                        ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                            .putAdditionalProperty("type", JsonValue.from("object"))
                            .putAdditionalProperty(
                                "properties",
                                JsonValue.from(Map.of("city", Map.of("type", "string"))))
                            .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                            .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                            .build())
                    .build())
            .build();
    ChatCompletion held = client.chat().completions().create(ask.responseFormat(format).build());
    assertThat(Json.MAPPER.readTree(held.choices().getFirst().message().content().orElseThrow()))
        .isEqualTo(Json.object().put("city", "Paris"));
    assertThat(held.choices().getFirst().finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    // a pattern the answer fits is followed; one that cannot be enforced faithfully is a 400
    ChatCompletion patterned =
        client.chat().completions().create(ask.responseFormat(city("^[A-Z][a-z]+$")).build());
    assertThat(
            Json.MAPPER
                .readTree(patterned.choices().getFirst().message().content().orElseThrow())
                .path("city")
                .asText())
        .isEqualTo("Paris");
    var refused =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            com.openai.errors.BadRequestException.class,
            () -> client.chat().completions().create(ask.responseFormat(city("(?!x)")).build()));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.param()).contains("response_format");
    assertThat(refused.getMessage()).contains("look-around");
  }

  /** A {@code {city: string}} response format whose city follows {@code pattern}. */
  private static ResponseFormatJsonSchema city(String pattern) {
    return ResponseFormatJsonSchema.builder()
        .jsonSchema(
            ResponseFormatJsonSchema.JsonSchema.builder()
                .name("place")
                .schema(
                    ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty(
                            "properties",
                            JsonValue.from(
                                Map.of("city", Map.of("type", "string", "pattern", pattern))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .build())
                .build())
        .build();
  }

  @Test
  void aReasoningModelsThinkingComesAsReasoningContentAndAThinkingBlock() {
    ChatCompletion c =
        client
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model("r1")
                    .addUserMessage("Cats?")
                    .maxCompletionTokens(32)
                    .build());
    var message = c.choices().getFirst().message();
    assertThat(message.content()).hasValue("Cats purr.");
    assertThat(
            java.util.Objects.requireNonNull(
                    message._additionalProperties().get("reasoning_content"))
                .asString())
        .hasValue("The user asks about cats.");
    AnthropicClient anthropic = anthropic();
    try {
      Message m =
          anthropic
              .messages()
              .create(
                  MessageCreateParams.builder()
                      .model("r1")
                      .maxTokens(32)
                      .addUserMessage("Cats?")
                      .build());
      assertThat(m.content().get(0).thinking().orElseThrow().thinking())
          .isEqualTo("The user asks about cats.");
      assertThat(m.content().get(1).text().orElseThrow().text()).isEqualTo("Cats purr.");
    } finally {
      anthropic.close();
    }
  }

  @Test
  void theAnthropicSdkGetsToolUseBlocks() {
    AnthropicClient anthropic = anthropic();
    try {
      Message m =
          anthropic
              .messages()
              .create(
                  MessageCreateParams.builder()
                      .model("qwen-tools")
                      .maxTokens(64)
                      .addUserMessage("What is the weather in Paris?")
                      .addTool(
                          Tool.builder()
                              .name("get_weather")
                              .inputSchema(
                                  Tool.InputSchema.builder()
                                      .properties(
                                          com.anthropic.core.JsonValue.from(
                                              Map.of("city", Map.of("type", "string"))))
                                      .build())
                              .build())
                      .build());
      assertThat(m.stopReason()).hasValue(StopReason.TOOL_USE);
      assertThat(m.content().getFirst().text().orElseThrow().text())
          .isEqualTo("I will look it up.");
      List<ToolUseBlock> uses =
          m.content().stream()
              .filter(ContentBlock::isToolUse)
              .map(b -> b.toolUse().orElseThrow())
              .toList();
      assertThat(uses).hasSize(1);
      assertThat(uses.getFirst().name()).isEqualTo("get_weather");
      assertThat(uses.getFirst()._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
    } finally {
      anthropic.close();
    }
  }
}

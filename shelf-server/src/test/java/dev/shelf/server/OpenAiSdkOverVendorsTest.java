package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.shelf.api.Json;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The official OpenAI SDK (validating responses) against Shelf, with Anthropic and Gemini upstreams
 * replaying their adapters' wire transcripts: the translations hold end to end, streaming and not.
 */
class OpenAiSdkOverVendorsTest {
  static StubUpstream stub;
  static ShelfHarness shelf;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    stub = StubUpstream.start();
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            resilience: {max_attempts: 1}
            providers:
              claude: {type: anthropic, base_url: "http://127.0.0.1:%d", api_key: sk-ant-test-123456}
              gemini: {type: gemini, base_url: "http://127.0.0.1:%d", api_key: gm-test-123456}
            models:
              - {id: sonnet, provider: claude, upstream: claude-sonnet-4-5}
              - {id: flash, provider: gemini, upstream: gemini-2.5-flash}
            """
                .formatted(stub.port(), stub.port()));
    client = shelf.sdk("anything");
  }

  @AfterAll
  static void stop() {
    shelf.close();
    stub.close();
  }

  @BeforeEach
  void reset() {
    stub.reset();
  }

  /** A transcript as {@code vendor/name}, from the adapters' test resources. */
  private static Response transcript(String name) throws Exception {
    Path file =
        Path.of(System.getProperty("shelf.root", ".."))
            .resolve("shelf-providers/src/test/resources/" + name);
    return Response.sse(
        new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8));
  }

  private static ChatCompletionCreateParams ask(String model) {
    return ChatCompletionCreateParams.builder()
        .model(model)
        .maxCompletionTokens(300)
        .addSystemMessage("Be brief.")
        .addUserMessage("What's the weather in San Francisco and New York?")
        .build();
  }

  @ParameterizedTest
  @CsvSource({
    "sonnet, anthropic/text.sse",
    "sonnet, anthropic/thinking.sse",
    "sonnet, anthropic/parallel_tools.sse",
    "sonnet, anthropic/max_tokens.sse",
    "flash, gemini/text.sse",
    "flash, gemini/thinking.sse",
    "flash, gemini/parallel_tools.sse",
    "flash, gemini/max_tokens.sse",
    "flash, gemini/safety.sse"
  })
  void streamedAndWholeAnswersAgreeAndValidate(String model, String name) throws Exception {
    stub.enqueue(transcript(name));
    ChatCompletion whole = client.chat().completions().create(ask(model));
    stub.enqueue(transcript(name));
    var acc = ChatCompletionAccumulator.create();
    var withUsage =
        ask(model).toBuilder()
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build();
    try (StreamResponse<ChatCompletionChunk> s =
        client.chat().completions().createStreaming(withUsage)) {
      s.stream().forEach(acc::accumulate);
    }
    ChatCompletion streamed = acc.chatCompletion();

    var w = whole.choices().getFirst();
    var st = streamed.choices().getFirst();
    assertThat(st.message().content()).isEqualTo(w.message().content());
    assertThat(st.finishReason()).isEqualTo(w.finishReason());
    assertThat(streamed.usage()).isPresent();
    assertThat(streamed.usage().get().promptTokens()).isEqualTo(whole.usage().get().promptTokens());
    List<ChatCompletionMessageToolCall> calls = w.message().toolCalls().orElse(List.of());
    if (name.endsWith("parallel_tools.sse")) {
      assertThat(w.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
      assertThat(calls).hasSize(2);
      assertThat(calls.get(0).function().get().id())
          .isNotEqualTo(calls.get(1).function().get().id());
      for (var c : calls) {
        JsonNode args = Json.MAPPER.readTree(c.function().get().function().arguments());
        assertThat(args.path("location").asText()).isNotEmpty();
      }
    }
    if (name.endsWith("safety.sse")) {
      assertThat(w.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.CONTENT_FILTER);
    }
    if (name.endsWith("max_tokens.sse")) {
      assertThat(w.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    }
  }

  @Test
  void theAnthropicUpstreamGetsAMessagesRequest() throws Exception {
    stub.enqueue(transcript("anthropic/text.sse"));
    client.chat().completions().create(ask("sonnet"));
    var req = stub.onlyRequest();
    assertThat(req.path()).isEqualTo("/v1/messages");
    assertThat(req.header("x-api-key")).isEqualTo("sk-ant-test-123456");
    assertThat(req.header("anthropic-version")).isNotBlank();
    JsonNode body = req.json();
    assertThat(body.path("model").asText()).isEqualTo("claude-sonnet-4-5");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(300);
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("system").toString()).contains("Be brief.");
    assertThat(body.at("/messages/0/role").asText()).isEqualTo("user");
  }

  @Test
  void theGeminiUpstreamGetsAGenerateContentRequest() throws Exception {
    stub.enqueue(transcript("gemini/text.sse"));
    client.chat().completions().create(ask("flash"));
    var req = stub.onlyRequest();
    assertThat(req.path())
        .isEqualTo("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    assertThat(req.header("x-goog-api-key")).isEqualTo("gm-test-123456");
    JsonNode body = req.json();
    assertThat(body.at("/systemInstruction/parts/0/text").asText()).isEqualTo("Be brief.");
    assertThat(body.at("/contents/0/role").asText()).isEqualTo("user");
    assertThat(body.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(300);
  }
}

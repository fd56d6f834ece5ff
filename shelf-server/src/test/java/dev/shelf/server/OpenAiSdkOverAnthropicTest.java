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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official OpenAI SDK (validating responses) against Shelf, with an Anthropic upstream
 * replaying the adapter's recorded Messages transcripts: the translation holds end to end,
 * streaming and not.
 */
class OpenAiSdkOverAnthropicTest {
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
            models:
              - {id: sonnet, provider: claude, upstream: claude-sonnet-4-5}
            """
                .formatted(stub.port()));
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

  private static Response transcript(String name) throws Exception {
    Path file =
        Path.of(System.getProperty("shelf.root", ".."))
            .resolve("shelf-providers/src/test/resources/anthropic/" + name);
    return Response.sse(
        new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8));
  }

  private static ChatCompletionCreateParams ask() {
    return ChatCompletionCreateParams.builder()
        .model("sonnet")
        .maxCompletionTokens(300)
        .addSystemMessage("Be brief.")
        .addUserMessage("What's the weather in San Francisco and New York?")
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"text.sse", "thinking.sse", "parallel_tools.sse", "max_tokens.sse"})
  void streamedAndWholeAnswersAgreeAndValidate(String name) throws Exception {
    stub.enqueue(transcript(name));
    ChatCompletion whole = client.chat().completions().create(ask());
    stub.enqueue(transcript(name));
    var acc = ChatCompletionAccumulator.create();
    var withUsage =
        ask().toBuilder()
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
    if (name.equals("parallel_tools.sse")) {
      assertThat(w.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
      assertThat(calls).hasSize(2);
      assertThat(calls.get(0).function().get().id())
          .isNotEqualTo(calls.get(1).function().get().id());
      for (var c : calls) {
        JsonNode args = Json.MAPPER.readTree(c.function().get().function().arguments());
        assertThat(args.path("location").asText()).isNotEmpty();
      }
    }
    if (name.equals("max_tokens.sse")) {
      assertThat(w.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    }
  }

  @Test
  void theUpstreamGetsAMessagesRequest() throws Exception {
    stub.enqueue(transcript("text.sse"));
    client.chat().completions().create(ask());
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
}

package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Anthropic Messages API in front of an OpenAI-compatible upstream, as the official
 * anthropic-java SDK (validating responses) sees it: plain, streaming, a tool-use round trip, token
 * counting, and Anthropic-style errors.
 */
class AnthropicSdkTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static StubUpstream stub;
  static ShelfHarness shelf;
  static AnthropicClient client;

  @BeforeAll
  static void start() {
    stub = StubUpstream.start();
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            resilience: {max_attempts: 1}
            providers:
              up: {type: openai, base_url: %s}
            models:
              - {id: claude-on-shelf, provider: up, upstream: up-model}
            """
                .formatted(MASTER, stub.baseUrl()));
    client = sdk(MASTER);
  }

  static AnthropicClient sdk(String key) {
    return AnthropicOkHttpClient.builder()
        .baseUrl("http://127.0.0.1:" + shelf.port())
        .apiKey(key)
        .responseValidation(true)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(20))
        .build();
  }

  @AfterAll
  static void stop() {
    client.close();
    shelf.close();
    stub.close();
  }

  @BeforeEach
  void reset() {
    stub.reset();
  }

  private static MessageCreateParams.Builder ask(String text) {
    return MessageCreateParams.builder()
        .model("claude-on-shelf")
        .maxTokens(256)
        .system("Be brief.")
        .addUserMessage(text);
  }

  @Test
  void aPlainMessage() {
    stub.enqueue(
        ChatStream.of("up-model")
            .role()
            .content("Hello")
            .content(" there")
            .finish("stop")
            .usage(12, 3)
            .done()
            .response());

    Message m = client.messages().create(ask("Hi").build());

    assertThat(m.content()).hasSize(1);
    assertThat(m.content().getFirst().text().orElseThrow().text()).isEqualTo("Hello there");
    assertThat(m.stopReason()).hasValue(StopReason.END_TURN);
    assertThat(m.usage().inputTokens()).isEqualTo(12);
    assertThat(m.usage().outputTokens()).isEqualTo(3);
    JsonNode sent = stub.onlyRequest().json();
    assertThat(sent.path("model").asText()).isEqualTo("up-model");
    assertThat(sent.path("max_tokens").asInt()).isEqualTo(256);
    assertThat(sent.at("/messages/0/role").asText()).isEqualTo("system");
    assertThat(sent.at("/messages/0/content").asText()).isEqualTo("Be brief.");
    assertThat(sent.at("/messages/1/content").asText()).isEqualTo("Hi");
  }

  @Test
  void aStreamAccumulatesToTheSameMessageAsTheWholeAnswer() {
    var answer =
        ChatStream.of("up-model")
            .role()
            .reasoning("reasoning_content", "Think first. ")
            .content("Once")
            .content(" upon")
            .content(" a time")
            .finish("length")
            .usage(9, 4)
            .done()
            .response();
    stub.enqueue(answer);
    var acc = MessageAccumulator.create();
    List<String> types;
    try (StreamResponse<RawMessageStreamEvent> s =
        client.messages().createStreaming(ask("Tell a story").build())) {
      types =
          s.stream()
              .peek(acc::accumulate)
              .map(
                  e ->
                      e.isMessageStart()
                          ? "start"
                          : e.isContentBlockStart()
                              ? "block_start"
                              : e.isContentBlockDelta()
                                  ? "delta"
                                  : e.isContentBlockStop()
                                      ? "block_stop"
                                      : e.isMessageDelta()
                                          ? "message_delta"
                                          : e.isMessageStop() ? "stop" : "other")
              .toList();
    }
    Message streamed = acc.message();
    stub.enqueue(answer);
    Message whole = client.messages().create(ask("Tell a story").build());

    assertThat(types.getFirst()).isEqualTo("start");
    assertThat(types.getLast()).isEqualTo("stop");
    assertThat(types).contains("block_start", "delta", "block_stop", "message_delta");
    assertThat(streamed.content()).hasSize(2);
    assertThat(streamed.content().get(0).thinking().orElseThrow().thinking())
        .isEqualTo("Think first. ");
    assertThat(streamed.content().get(1).text().orElseThrow().text()).isEqualTo("Once upon a time");
    assertThat(streamed.stopReason()).hasValue(StopReason.MAX_TOKENS);
    assertThat(streamed.usage().outputTokens()).isEqualTo(4);
    assertThat(whole.content().get(1).text().orElseThrow().text())
        .isEqualTo(streamed.content().get(1).text().orElseThrow().text());
    assertThat(whole.stopReason()).isEqualTo(streamed.stopReason());
  }

  @Test
  void aToolUseRoundTripWithParallelCallsStreamedInterleaved() throws Exception {
    stub.enqueue(
        ChatStream.of("up-model")
            .role()
            .toolCall(0, "call_a", "get_weather")
            .toolCall(1, "call_b", "get_weather")
            .toolArgs(0, "{\"city\":")
            .toolArgs(1, "{\"city\":")
            .toolArgs(1, "\"Paris\"}")
            .toolArgs(0, "\"Beijing\"}")
            .finish("tool_calls")
            .usage(20, 10)
            .done()
            .response());
    Tool weather =
        Tool.builder()
            .name("get_weather")
            .description("Weather in a city")
            .inputSchema(
                Tool.InputSchema.builder()
                    .properties(
                        Tool.InputSchema.Properties.builder()
                            .putAdditionalProperty("city", JsonValue.from(Map.of("type", "string")))
                            .build())
                    .required(List.of("city"))
                    .build())
            .build();
    var acc = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> s =
        client.messages().createStreaming(ask("Weather?").addTool(weather).build())) {
      s.stream().forEach(acc::accumulate);
    }
    Message first = acc.message();
    List<ToolUseBlock> uses =
        first.content().stream()
            .filter(ContentBlock::isToolUse)
            .map(b -> b.toolUse().orElseThrow())
            .toList();
    assertThat(first.stopReason()).hasValue(StopReason.TOOL_USE);
    assertThat(uses).extracting(ToolUseBlock::id).containsExactly("call_a", "call_b");
    assertThat(uses.get(0)._input().toString()).contains("Beijing");
    assertThat(uses.get(1)._input().toString()).contains("Paris");
    JsonNode sentTools = stub.onlyRequest().json().path("tools");
    assertThat(sentTools.at("/0/function/name").asText()).isEqualTo("get_weather");
    assertThat(sentTools.at("/0/function/parameters/required/0").asText()).isEqualTo("city");

    stub.reset();
    stub.enqueue(
        ChatStream.of("up-model")
            .role()
            .content("Sunny in both.")
            .finish("stop")
            .usage(40, 4)
            .done()
            .response());
    Message answer =
        client
            .messages()
            .create(
                ask("Weather?")
                    .addTool(weather)
                    .addMessage(first)
                    .addUserMessageOfContentBlockParams(
                        List.of(
                            ContentBlockParam.ofToolResult(
                                ToolResultBlockParam.builder()
                                    .toolUseId("call_a")
                                    .content("sunny")
                                    .build()),
                            ContentBlockParam.ofToolResult(
                                ToolResultBlockParam.builder()
                                    .toolUseId("call_b")
                                    .content("sunny")
                                    .build())))
                    .build());
    assertThat(answer.content().getFirst().text().orElseThrow().text()).isEqualTo("Sunny in both.");
    JsonNode msgs = stub.onlyRequest().json().path("messages");
    assertThat(msgs.at("/2/role").asText()).isEqualTo("assistant");
    assertThat(msgs.at("/2/tool_calls/0/id").asText()).isEqualTo("call_a");
    assertThat(
            Json.MAPPER
                .readTree(msgs.at("/2/tool_calls/1/function/arguments").asText())
                .path("city")
                .asText())
        .isEqualTo("Paris");
    assertThat(msgs.at("/3/role").asText()).isEqualTo("tool");
    assertThat(msgs.at("/3/tool_call_id").asText()).isEqualTo("call_a");
    assertThat(msgs.at("/4/tool_call_id").asText()).isEqualTo("call_b");
  }

  @Test
  void countTokensEstimatesTheInput() {
    long n =
        client
            .messages()
            .countTokens(
                MessageCountTokensParams.builder()
                    .model("claude-on-shelf")
                    .addUserMessage("a fairly short question about the weather")
                    .build())
            .inputTokens();
    assertThat(n).isBetween(8L, 40L);
    assertThat(stub.requests()).isEmpty();
  }

  @Test
  void errorsComeInAnthropicsShape() {
    assertThatThrownBy(() -> client.messages().create(ask("hi").model("no-such-model").build()))
        .isInstanceOf(NotFoundException.class);
    AnthropicClient wrong = sdk("sk-wrong-key-0123456789");
    try {
      assertThatThrownBy(() -> wrong.messages().create(ask("hi").build()))
          .isInstanceOf(UnauthorizedException.class);
    } finally {
      wrong.close();
    }
    var raw =
        shelf.post(
            "/v1/messages",
            "{\"model\": \"claude-on-shelf\", \"messages\": [{\"role\": \"user\", \"content\":"
                + " \"hi\"}]}",
            "x-api-key",
            MASTER);
    assertThat(raw.status()).isEqualTo(400);
    assertThat(raw.json().path("type").asText()).isEqualTo("error");
    assertThat(raw.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
    assertThat(raw.json().at("/error/message").asText()).contains("max_tokens");
  }
}

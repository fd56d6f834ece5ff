package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.NotFoundException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.models.Model;
import dev.shelf.api.Json;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Recorded;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI API as the official Java SDK (validating responses) sees it, with Shelf in front of a
 * stub upstream: what the client gets back, and what reaches the upstream.
 */
class OpenAiSdkTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final String UPSTREAM_KEY = "sk-test-secret-123456";

  static StubUpstream stub;
  static ShelfHarness shelf;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    stub = StubUpstream.start();
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, shutdown_grace: 1s, access_log: false}
            auth: {master_key: %s}
            resilience: {max_attempts: 2, backoff_base: 1ms, backoff_max: 2ms, \
            breaker_failures: 1000, cooldown: 1ms}
            providers:
              up: {type: openai, base_url: %s, api_key: %s}
            models:
              - {id: gpt-shelf, provider: up, upstream: up-model, context: 32768, \
            capabilities: [tools, json]}
              - {id: tiny, provider: up, upstream: up-tiny, owned_by: acme}
              - {id: acme/big-model, provider: up, upstream: big}
            """
                .formatted(MASTER, stub.baseUrl(), UPSTREAM_KEY));
    client = shelf.sdk(MASTER);
  }

  @AfterAll
  static void stop() {
    shelf.close();
    stub.close();
  }

  @BeforeEach
  void resetStub() {
    stub.reset();
  }

  static ChatStream hello() {
    return ChatStream.of("up-model")
        .role()
        .content("Hello")
        .content(", wörld")
        .content("! 你好")
        .finish("stop")
        .usage(12, 5)
        .done();
  }

  static ChatCompletionCreateParams.Builder ask(String text) {
    return ChatCompletionCreateParams.builder().model("gpt-shelf").addUserMessage(text);
  }

  // ------------------------------------------------------------------------------ models

  @Test
  void listsTheShelfAndRetrievesOneModel() {
    List<Model> models = client.models().list().data();
    assertThat(models).extracting(Model::id).containsExactly("gpt-shelf", "tiny", "acme/big-model");
    assertThat(models).allSatisfy(m -> assertThat(m.created()).isPositive());
    assertThat(models.get(0).ownedBy()).isEqualTo("up");

    Model tiny = client.models().retrieve("tiny");
    assertThat(tiny.id()).isEqualTo("tiny");
    assertThat(tiny.ownedBy()).isEqualTo("acme");
    assertThat(tiny._additionalProperties().get("deployments"))
        .isEqualTo(JsonValue.from(List.of("up/up-tiny")));

    // A name with a slash (as vendors spell them) is one path segment, encoded or not.
    assertThat(client.models().retrieve("acme/big-model").id()).isEqualTo("acme/big-model");
    var slashed = shelf.get("/v1/models/acme/big-model", "authorization", "Bearer " + MASTER);
    assertThat(slashed.json().path("id").asText()).isEqualTo("acme/big-model");

    assertThatThrownBy(() -> client.models().retrieve("no-such-model"))
        .isInstanceOfSatisfying(
            NotFoundException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.code()).contains("model_not_found");
            });
    assertThat(stub.requests()).isEmpty(); // the catalogue never asks the upstream
  }

  // ------------------------------------------------------------------------------ chat

  @Test
  void chatCompletionCarriesContentFinishReasonAndUsage() {
    stub.enqueue(hello().response());

    ChatCompletion c = client.chat().completions().create(ask("Say hello").build());

    assertThat(c.id()).startsWith("chatcmpl-");
    assertThat(c.model()).isEqualTo("gpt-shelf");
    assertThat(c.choices()).hasSize(1);
    ChatCompletion.Choice choice = c.choices().getFirst();
    assertThat(choice.index()).isZero();
    assertThat(choice.message().content()).contains("Hello, wörld! 你好");
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(c.usage()).isPresent();
    assertThat(c.usage().get().promptTokens()).isEqualTo(12);
    assertThat(c.usage().get().completionTokens()).isEqualTo(5);
    assertThat(c.usage().get().totalTokens()).isEqualTo(17);

    Recorded up = stub.onlyRequest();
    assertThat(up.method()).isEqualTo("POST");
    assertThat(up.path()).isEqualTo("/v1/chat/completions");
    // Shelf's own key never travels upstream; the provider's does.
    assertThat(up.header("authorization")).isEqualTo("Bearer " + UPSTREAM_KEY);
    JsonNode body = up.json();
    assertThat(body.path("model").asText()).isEqualTo("up-model");
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(body.path("messages"))
        .isEqualTo(json("[{\"role\":\"user\",\"content\":\"Say hello\"}]"));
  }

  @Test
  void theStreamConcatenatesToTheNonStreamedAnswerAndEndsWithOneUsageChunk() {
    stub.handler(r -> hello().response());

    ChatCompletion whole = client.chat().completions().create(ask("Say hello").build());

    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (var s =
        client
            .chat()
            .completions()
            .createStreaming(
                ask("Say hello")
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      s.stream().forEach(chunks::add);
    }
    var acc = ChatCompletionAccumulator.create();
    chunks.forEach(acc::accumulate);
    ChatCompletion streamed = acc.chatCompletion();

    assertThat(streamed.choices().getFirst().message().content())
        .isEqualTo(whole.choices().getFirst().message().content())
        .contains("Hello, wörld! 你好");
    assertThat(streamed.choices().getFirst().finishReason())
        .isEqualTo(whole.choices().getFirst().finishReason());
    assertThat(chunks).extracting(ChatCompletionChunk::id).containsOnly(chunks.getFirst().id());
    assertThat(chunks).extracting(ChatCompletionChunk::model).containsOnly("gpt-shelf");
    assertThat(chunks.stream().filter(c -> c.usage().isPresent())).hasSize(1);
    ChatCompletionChunk last = chunks.getLast();
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage().orElseThrow().promptTokens()).isEqualTo(12);
    assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(5);
    assertThat(
            chunks.stream()
                .flatMap(c -> c.choices().stream())
                .filter(ch -> ch.finishReason().isPresent()))
        .hasSize(1);

    // Without include_usage, no chunk carries usage, yet Shelf still asked the upstream for it.
    List<ChatCompletionChunk> plain = new ArrayList<>();
    try (var s = client.chat().completions().createStreaming(ask("Say hello").build())) {
      s.stream().forEach(plain::add);
    }
    assertThat(plain).allSatisfy(c -> assertThat(c.usage()).isEmpty());
    assertThat(
            plain.stream()
                .flatMap(c -> c.choices().stream().flatMap(ch -> ch.delta().content().stream())))
        .containsExactly("", "Hello", ", wörld", "! 你好");

    assertThat(stub.requests()).hasSize(3);
    for (Recorded r : stub.requests()) {
      assertThat(r.json().path("stream").asBoolean()).isTrue();
      assertThat(r.json().path("stream_options").path("include_usage").asBoolean()).isTrue();
      assertThat(r.header("authorization")).isEqualTo("Bearer " + UPSTREAM_KEY);
    }
  }

  // ------------------------------------------------------------------------------ tools

  static final FunctionDefinition WEATHER =
      FunctionDefinition.builder()
          .name("get_weather")
          .description("Current weather in a city")
          .parameters(
              FunctionParameters.builder()
                  .putAdditionalProperty("type", JsonValue.from("object"))
                  .putAdditionalProperty(
                      "properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                  .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                  .build())
          .build();
  static final FunctionDefinition TIME =
      FunctionDefinition.builder()
          .name("get_time")
          .parameters(
              FunctionParameters.builder()
                  .putAdditionalProperty("type", JsonValue.from("object"))
                  .putAdditionalProperty(
                      "properties", JsonValue.from(Map.of("tz", Map.of("type", "string"))))
                  .build())
          .build();

  /** Two parallel calls whose deltas arrive interleaved, arguments cut mid-token. */
  static ChatStream twoParallelToolCalls() {
    return ChatStream.of("up-model")
        .role()
        .toolCall(0, "call_weather_1", "get_weather")
        .toolCall(1, "call_time_2", "get_time")
        .toolArgs(0, "{\"ci")
        .toolArgs(1, "{\"tz\": \"Europe/")
        .toolArgs(0, "ty\": \"Par")
        .toolArgs(1, "Paris\"}")
        .toolArgs(0, "is\"}")
        .finish("tool_calls")
        .usage(40, 22)
        .done();
  }

  @Test
  void parallelToolCallsStreamedInterleavedRoundTrip() throws IOException {
    stub.enqueue(twoParallelToolCalls().response());
    ChatCompletionCreateParams.Builder first =
        ask("Weather and time in Paris?").addFunctionTool(WEATHER).addFunctionTool(TIME);

    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (var s = client.chat().completions().createStreaming(first.build())) {
      s.stream().forEach(chunks::add);
    }
    // On the wire: distinct indexes, each id announced once, with its name.
    var announced = new ArrayList<String>();
    for (ChatCompletionChunk c : chunks) {
      for (var ch : c.choices()) {
        for (var t : ch.delta().toolCalls().orElse(List.of())) {
          t.id().ifPresent(id -> announced.add(t.index() + ":" + id));
        }
      }
    }
    assertThat(announced).containsExactly("0:call_weather_1", "1:call_time_2");

    var acc = ChatCompletionAccumulator.create();
    chunks.forEach(acc::accumulate);
    ChatCompletion answer = acc.chatCompletion();
    ChatCompletion.Choice choice = answer.choices().getFirst();
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    List<ChatCompletionMessageFunctionToolCall> calls =
        choice.message().toolCalls().orElseThrow().stream()
            .map(ChatCompletionMessageToolCall::asFunction)
            .toList();
    assertThat(calls)
        .extracting(ChatCompletionMessageFunctionToolCall::id)
        .containsExactly("call_weather_1", "call_time_2");
    assertThat(calls)
        .extracting(c -> c.function().name())
        .containsExactly("get_weather", "get_time");
    assertThat(Json.MAPPER.readTree(calls.get(0).function().arguments()))
        .isEqualTo(json("{\"city\":\"Paris\"}"));
    assertThat(Json.MAPPER.readTree(calls.get(1).function().arguments()))
        .isEqualTo(json("{\"tz\":\"Europe/Paris\"}"));

    JsonNode firstUp = stub.onlyRequest().json();
    assertThat(firstUp.path("tools")).hasSize(2);
    assertThat(firstUp.path("tools").get(0).path("function").path("name").asText())
        .isEqualTo("get_weather");
    assertThat(firstUp.path("tools").get(0).path("function").path("parameters").path("required"))
        .isEqualTo(json("[\"city\"]"));

    // Send the results back; the model answers in text.
    stub.reset();
    stub.enqueue(
        ChatStream.of("up-model")
            .role()
            .content("It is 21°C and sunny in Paris; ")
            .content("the time is 14:05.")
            .finish("stop")
            .usage(80, 12)
            .done()
            .response());
    ChatCompletion last =
        client
            .chat()
            .completions()
            .create(
                first
                    .addMessage(choice.message())
                    .addMessage(
                        ChatCompletionToolMessageParam.builder()
                            .toolCallId("call_weather_1")
                            .content("{\"temp_c\": 21, \"sky\": \"sunny\"}")
                            .build())
                    .addMessage(
                        ChatCompletionToolMessageParam.builder()
                            .toolCallId("call_time_2")
                            .content("14:05")
                            .build())
                    .build());
    assertThat(last.choices().getFirst().message().content())
        .contains("It is 21°C and sunny in Paris; the time is 14:05.");
    assertThat(last.choices().getFirst().finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);

    JsonNode messages = stub.onlyRequest().json().path("messages");
    assertThat(messages).hasSize(4);
    JsonNode assistant = messages.get(1);
    assertThat(assistant.path("role").asText()).isEqualTo("assistant");
    assertThat(assistant.path("tool_calls")).hasSize(2);
    assertThat(assistant.path("tool_calls").get(0).path("id").asText()).isEqualTo("call_weather_1");
    assertThat(assistant.path("tool_calls").get(0).path("type").asText()).isEqualTo("function");
    assertThat(
            Json.MAPPER.readTree(
                assistant.path("tool_calls").get(0).path("function").path("arguments").asText()))
        .isEqualTo(json("{\"city\":\"Paris\"}"));
    assertThat(assistant.path("tool_calls").get(1).path("id").asText()).isEqualTo("call_time_2");
    assertThat(messages.get(2))
        .isEqualTo(
            json(
                "{\"role\":\"tool\",\"tool_call_id\":\"call_weather_1\","
                    + "\"content\":\"{\\\"temp_c\\\": 21, \\\"sky\\\": \\\"sunny\\\"}\"}"));
    assertThat(messages.get(3))
        .isEqualTo(
            json("{\"role\":\"tool\",\"tool_call_id\":\"call_time_2\",\"content\":\"14:05\"}"));
  }

  @Test
  void parallelToolCallsReassembledForANonStreamingClient() throws IOException {
    stub.enqueue(twoParallelToolCalls().response());

    ChatCompletion answer =
        client
            .chat()
            .completions()
            .create(
                ask("Weather and time?").addFunctionTool(WEATHER).addFunctionTool(TIME).build());

    var calls =
        answer.choices().getFirst().message().toolCalls().orElseThrow().stream()
            .map(ChatCompletionMessageToolCall::asFunction)
            .toList();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).id()).isEqualTo("call_weather_1");
    assertThat(Json.MAPPER.readTree(calls.get(0).function().arguments()))
        .isEqualTo(json("{\"city\":\"Paris\"}"));
    assertThat(calls.get(1).id()).isEqualTo("call_time_2");
    assertThat(Json.MAPPER.readTree(calls.get(1).function().arguments()))
        .isEqualTo(json("{\"tz\":\"Europe/Paris\"}"));
    assertThat(answer.usage().orElseThrow().totalTokens()).isEqualTo(62);
  }

  // ------------------------------------------------------------------------------ JSON mode

  @Test
  void jsonObjectAndJsonSchemaReachTheUpstreamAsSent() {
    stub.handler(
        r ->
            ChatStream.of("up-model")
                .role()
                .content("{\"name\":\"Ada\"}")
                .finish("stop")
                .done()
                .response());

    ChatCompletion c =
        client
            .chat()
            .completions()
            .create(
                ask("Give me a JSON person")
                    .responseFormat(ResponseFormatJsonObject.builder().build())
                    .build());
    assertThat(c.choices().getFirst().message().content()).contains("{\"name\":\"Ada\"}");
    assertThat(stub.requests().getLast().json().path("response_format"))
        .isEqualTo(json("{\"type\":\"json_object\"}"));

    var schema =
        ResponseFormatJsonSchema.JsonSchema.Schema.builder()
            .putAdditionalProperty("type", JsonValue.from("object"))
            .putAdditionalProperty(
                "properties",
                JsonValue.from(
                    Map.of("name", Map.of("type", "string"), "age", Map.of("type", "integer"))))
            .putAdditionalProperty("required", JsonValue.from(List.of("name", "age")))
            .putAdditionalProperty("additionalProperties", JsonValue.from(false))
            .build();
    client
        .chat()
        .completions()
        .create(
            ask("Give me a JSON person")
                .responseFormat(
                    ResponseFormatJsonSchema.builder()
                        .jsonSchema(
                            ResponseFormatJsonSchema.JsonSchema.builder()
                                .name("person")
                                .description("A person")
                                .schema(schema)
                                .strict(true)
                                .build())
                        .build())
                .build());
    assertThat(stub.requests().getLast().json().path("response_format"))
        .isEqualTo(
            json(
                """
                {"type": "json_schema", "json_schema": {"name": "person", "description": "A person",
                 "strict": true, "schema": {"type": "object",
                 "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                 "required": ["name", "age"], "additionalProperties": false}}}
                """));
  }

  // ------------------------------------------------------------------------------ pass-through

  @Test
  void unknownFieldsPassThroughToTheUpstreamUntouched() {
    stub.handler(r -> hello().response());

    client
        .chat()
        .completions()
        .create(
            ask("hi")
                .putAdditionalBodyProperty("top_k", JsonValue.from(40))
                .putAdditionalBodyProperty("enable_thinking", JsonValue.from(false))
                .putAdditionalBodyProperty(
                    "vendor_options",
                    JsonValue.from(Map.of("search", true, "sources", List.of("web", 3.5))))
                .build());
    JsonNode up = stub.requests().getLast().json();
    assertThat(up.path("top_k")).isEqualTo(json("40"));
    assertThat(up.path("enable_thinking")).isEqualTo(json("false"));
    assertThat(up.path("vendor_options"))
        .isEqualTo(json("{\"search\": true, \"sources\": [\"web\", 3.5]}"));

    // Unknown message fields and content parts survive too (raw HTTP: the SDK has no words for
    // them).
    var raw =
        shelf.post(
            "/v1/chat/completions",
            """
            {"model": "gpt-shelf", "x_trace": {"span": "a1"},
             "messages": [{"role": "user", "cache_control": {"type": "ephemeral"},
               "content": [{"type": "text", "text": "look"},
                           {"type": "input_audio", "input_audio": {"data": "AAA=", "format": "wav"}}]}]}
            """,
            "authorization",
            "Bearer " + MASTER);
    assertThat(raw.status()).isEqualTo(200);
    JsonNode up2 = stub.requests().getLast().json();
    assertThat(up2.path("x_trace")).isEqualTo(json("{\"span\": \"a1\"}"));
    assertThat(up2.path("messages").get(0).path("cache_control"))
        .isEqualTo(json("{\"type\": \"ephemeral\"}"));
    assertThat(up2.path("messages").get(0).path("content").get(1))
        .isEqualTo(
            json(
                "{\"type\": \"input_audio\", \"input_audio\": {\"data\": \"AAA=\", \"format\": \"wav\"}}"));
  }

  // ------------------------------------------------------------------------------ n > 1

  @Test
  void twoChoicesStreamedInterleavedAreKeptApart() {
    stub.handler(
        r -> {
          var s = ChatStream.of("up-model").role();
          s.content("Heads");
          s.last(c -> ((ObjectNode) c.path("choices").get(0)).put("index", 1));
          s.content("Tails");
          s.content(" again");
          s.last(c -> ((ObjectNode) c.path("choices").get(0)).put("index", 1));
          s.content(" it is");
          s.finish("stop");
          s.finish("length");
          s.last(c -> ((ObjectNode) c.path("choices").get(0)).put("index", 1));
          return s.usage(10, 8).done().response();
        });

    ChatCompletion c = client.chat().completions().create(ask("Flip a coin").n(2).build());

    assertThat(c.choices()).hasSize(2);
    assertThat(c.choices().get(0).index()).isZero();
    assertThat(c.choices().get(0).message().content()).contains("Tails it is");
    assertThat(c.choices().get(0).finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(c.choices().get(1).index()).isEqualTo(1);
    assertThat(c.choices().get(1).message().content()).contains("Heads again");
    assertThat(c.choices().get(1).finishReason())
        .isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    assertThat(stub.requests().getLast().json().path("n").asInt()).isEqualTo(2);
  }

  // ------------------------------------------------------------------------------ connections

  @Test
  void upstreamConnectionsAreReusedAfterAStream() {
    stub.handler(r -> hello().response());
    client.chat().completions().create(ask("warm up").build());
    int before = stub.connectionCount();

    for (int i = 0; i < 20; i++) {
      client.chat().completions().create(ask("again " + i).build());
    }

    assertThat(stub.connectionCount() - before).isZero();
  }

  // ------------------------------------------------------------------------------ headers

  @Test
  void requestIdAndServingDeploymentAreReported() {
    stub.enqueue(hello().response());

    var raw =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "authorization",
            "Bearer " + MASTER,
            "x-request-id",
            "trace-42.abc");

    assertThat(raw.status()).isEqualTo(200);
    assertThat(raw.header("x-request-id")).isEqualTo("trace-42.abc");
    assertThat(raw.header("x-shelf-deployment")).isEqualTo("up/up-tiny");
    assertThat(raw.header("x-shelf-attempts")).isEqualTo("1");
    assertThat(raw.json().path("id").asText()).isEqualTo("chatcmpl-trace-42.abc");
    assertThat(raw.json().path("model").asText()).isEqualTo("tiny");
    Recorded up = stub.onlyRequest();
    assertThat(up.header("x-request-id")).isEqualTo("trace-42.abc");
    assertThat(up.json().path("model").asText()).isEqualTo("up-tiny");

    // An unsafe id is replaced by a fresh one.
    stub.enqueue(hello().response());
    var fresh =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "authorization",
            "Bearer " + MASTER,
            "x-request-id",
            "bad id with spaces");
    assertThat(fresh.header("x-request-id")).matches("[0-9a-f]{24}");

    // A stream says the same in its headers, framed as OpenAI frames it.
    stub.enqueue(hello().response());
    var streamed =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"tiny\", \"stream\": true,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "authorization",
            "Bearer " + MASTER,
            "x-request-id",
            "trace-43");
    assertThat(streamed.status()).isEqualTo(200);
    assertThat(streamed.header("content-type")).startsWith("text/event-stream");
    assertThat(streamed.header("x-request-id")).isEqualTo("trace-43");
    assertThat(streamed.header("x-shelf-deployment")).isEqualTo("up/up-tiny");
    assertThat(streamed.header("x-shelf-attempts")).isEqualTo("1");
    assertThat(streamed.body()).startsWith("data: {").endsWith("data: [DONE]\n\n");
    assertThat(streamed.events().getFirst()).contains("\"id\":\"chatcmpl-trace-43\"");
  }

  static JsonNode json(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}

package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.SseException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Fragment;
import dev.shelf.server.stub.StubUpstream.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a chat request fails, as the official SDK sees it: the status, and OpenAI error JSON
 * whose type, param and code say what went wrong; upstream failures mapped, never leaked.
 */
class OpenAiSdkErrorsTest {
  static final String MASTER = OpenAiSdkTest.MASTER;
  static final String UPSTREAM_KEY = OpenAiSdkTest.UPSTREAM_KEY;

  static StubUpstream stub;

  /** Master key set; two attempts per request. */
  static ShelfHarness shelf;

  /** Open; 1 KiB body limit, 300 ms to the first token, one attempt. */
  static ShelfHarness tight;

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
              - {id: gpt-shelf, provider: up, upstream: up-model}
            """
                .formatted(MASTER, stub.baseUrl(), UPSTREAM_KEY));
    tight =
        ShelfHarness.start(
            """
            server: {port: 0, shutdown_grace: 1s, access_log: false, max_body_bytes: 1024}
            resilience: {max_attempts: 1, first_token_timeout: 300ms, breaker_failures: 1000}
            providers:
              up: {type: openai, base_url: %s, api_key: %s}
            models:
              - {id: gpt-shelf, provider: up, upstream: up-model}
            """
                .formatted(stub.baseUrl(), UPSTREAM_KEY));
    client = shelf.sdk(MASTER);
  }

  @AfterAll
  static void stop() {
    tight.close();
    shelf.close();
    stub.close();
  }

  @BeforeEach
  void resetStub() {
    stub.reset();
  }

  static ChatCompletionCreateParams.Builder ask(String text) {
    return ChatCompletionCreateParams.builder().model("gpt-shelf").addUserMessage(text);
  }

  static ChatStream answer(String text) {
    return ChatStream.of("up-model").role().content(text).finish("stop").usage(3, 2).done();
  }

  ShelfHarness.Raw post(String body) {
    return shelf.post("/v1/chat/completions", body, "authorization", "Bearer " + MASTER);
  }

  static void assertError(
      ShelfHarness.Raw r, int status, String type, @Nullable String param, @Nullable String code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.header("content-type")).startsWith("application/json");
    JsonNode e = r.json().path("error");
    assertThat(e.isObject()).as(r.body()).isTrue();
    assertThat(e.path("message").asText()).isNotBlank();
    assertThat(e.path("type").asText()).isEqualTo(type);
    assertThat(e.has("param")).as("param is always present, maybe null").isTrue();
    assertThat(e.has("code")).as("code is always present, maybe null").isTrue();
    assertThat(e.path("param").isNull() ? null : e.path("param").asText()).isEqualTo(param);
    assertThat(e.path("code").isNull() ? null : e.path("code").asText()).isEqualTo(code);
  }

  // ------------------------------------------------------------------------------ the request

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"model\": \"gpt-shelf\", \"messages\": [",
        "not json at all",
        "{\"model\": \"gpt-shelf\"} {\"trailing\": 1}",
        "{'model': 'gpt-shelf'}",
      })
  void malformedJsonIs400(String body) {
    var r = post(body);
    assertError(r, 400, "invalid_request_error", null, null);
    assertThat(r.json().path("error").path("message").asText()).contains("could not parse");
    assertThat(stub.requests()).isEmpty();
  }

  @Test
  void anEmptyBodyIs400() {
    assertError(post(""), 400, "invalid_request_error", null, null);
  }

  static Stream<Arguments> invalidFields() {
    String msgs = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
    return Stream.of(
        Arguments.of("{\"model\": \"gpt-shelf\"}", "messages"),
        Arguments.of("{\"model\": \"gpt-shelf\", \"messages\": []}", "messages"),
        Arguments.of("{\"model\": \"gpt-shelf\", \"messages\": \"hi\"}", "messages"),
        Arguments.of("{" + msgs + "}", "model"),
        Arguments.of("{\"model\": 7, " + msgs + "}", "model"),
        Arguments.of("[1, 2]", "body"),
        Arguments.of("{\"model\": \"gpt-shelf\", \"temperature\": 5, " + msgs + "}", "temperature"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"temperature\": \"hot\", " + msgs + "}", "temperature"),
        Arguments.of("{\"model\": \"gpt-shelf\", \"top_p\": 1.5, " + msgs + "}", "top_p"),
        Arguments.of("{\"model\": \"gpt-shelf\", \"max_tokens\": -3, " + msgs + "}", "max_tokens"),
        Arguments.of("{\"model\": \"gpt-shelf\", \"n\": 0, " + msgs + "}", "n"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}",
            "messages[0].role"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"user\"}]}",
            "messages[0].content"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
            "messages[0].tool_call_id"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"stream_options\": {\"include_usage\": true}, "
                + msgs
                + "}",
            "stream_options"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"tool_choice\": \"required\", " + msgs + "}",
            "tool_choice"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"tools\": [{\"type\": \"function\", \"function\":"
                + " {\"name\": \"has spaces\"}}], "
                + msgs
                + "}",
            "tools[0].function.name"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"response_format\": {\"type\": \"yaml\"}, " + msgs + "}",
            "response_format.type"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"], "
                + msgs
                + "}",
            "stop"),
        Arguments.of(
            "{\"model\": \"gpt-shelf\", \"top_logprobs\": 3, " + msgs + "}", "top_logprobs"));
  }

  @ParameterizedTest
  @MethodSource("invalidFields")
  void anInvalidFieldIs400NamingTheParam(String body, String param) {
    assertError(post(body), 400, "invalid_request_error", param, null);
    assertThat(stub.requests()).isEmpty();
  }

  @Test
  void temperatureOutOfRangeThroughTheSdk() {
    var e =
        catchThrowableOfType(
            BadRequestException.class,
            () -> client.chat().completions().create(ask("hi").temperature(5.0).build()));
    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.type()).contains("invalid_request_error");
    assertThat(e.param()).contains("temperature");
    assertThat(e.getMessage()).contains("temperature").contains("5");
    assertThat(stub.requests()).isEmpty();
  }

  // ------------------------------------------------------------------------------ keys

  @Test
  void aMissingKeyIs401() {
    var r =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertError(r, 401, "invalid_request_error", null, "invalid_api_key");
    assertThat(r.json().path("error").path("message").asText())
        .contains("didn't provide an API key");
    assertError(shelf.get("/v1/models"), 401, "invalid_request_error", null, "invalid_api_key");
    assertThat(stub.requests()).isEmpty();
  }

  @Test
  void aBadKeyIs401AndIsNotEchoed() {
    String bad = "sk-wrong-key-9876543210";
    var e =
        catchThrowableOfType(
            UnauthorizedException.class,
            () -> shelf.sdk(bad).chat().completions().create(ask("hi").build()));
    assertThat(e.statusCode()).isEqualTo(401);
    assertThat(e.code()).contains("invalid_api_key");
    assertThat(e.type()).contains("invalid_request_error");
    assertThat(e.body().toString()).doesNotContain(bad).contains("sk-****3210");
    assertThatThrownBy(() -> shelf.sdk(bad).models().list())
        .isInstanceOf(UnauthorizedException.class);
    assertThat(stub.requests()).isEmpty();
  }

  // ------------------------------------------------------------------------------ the shelf

  @Test
  void anUnknownModelIs404ModelNotFound() {
    var params =
        ChatCompletionCreateParams.builder().model("gpt-nope").addUserMessage("hi").build();
    var e =
        catchThrowableOfType(
            NotFoundException.class, () -> client.chat().completions().create(params));
    assertThat(e.statusCode()).isEqualTo(404);
    assertThat(e.code()).contains("model_not_found");
    assertThat(e.param()).contains("model");
    assertThat(e.type()).contains("invalid_request_error");
    assertThat(e.getMessage()).contains("gpt-nope");

    // Streaming asks fail the same way, before any event.
    assertThatThrownBy(
            () -> {
              try (var s = client.chat().completions().createStreaming(params)) {
                s.stream().count();
              }
            })
        .isInstanceOfSatisfying(
            NotFoundException.class, x -> assertThat(x.code()).contains("model_not_found"));
    assertThat(stub.requests()).isEmpty();
  }

  @Test
  void aBodyOverTheLimitIs413() {
    var e =
        catchThrowableOfType(
            OpenAIServiceException.class,
            () -> tight.sdk("any").chat().completions().create(ask("x".repeat(4000)).build()));
    assertThat(e.statusCode()).isEqualTo(413);
    assertThat(e.code()).contains("request_too_large");
    assertThat(e.type()).contains("invalid_request_error");
    assertThat(e.getMessage()).contains("1024");
    assertThat(stub.requests()).isEmpty();

    // Just under the limit is fine.
    stub.enqueue(answer("ok").response());
    ChatCompletion ok = tight.sdk("any").chat().completions().create(ask("x".repeat(800)).build());
    assertThat(ok.choices().getFirst().message().content()).contains("ok");
  }

  // ------------------------------------------------------------------------------ the upstream

  @Test
  void upstream500Is502AfterTheRetries() {
    String marker = "upstream-internal-trace-31337";
    stub.handler(
        r ->
            Response.json(
                500,
                "{\"error\": {\"message\": \"boom " + marker + "\", \"type\": \"server_error\"}}"));

    var e =
        catchThrowableOfType(
            InternalServerException.class,
            () -> client.chat().completions().create(ask("hi").build()));
    assertThat(e.statusCode()).isEqualTo(502);
    assertThat(e.type()).contains("server_error");
    assertThat(e.code()).contains("upstream_error");
    assertThat(e.body().toString()).doesNotContain(marker);
    assertThat(e.headers().values("x-shelf-attempts")).containsExactly("2");
    assertThat(stub.requests()).hasSize(2);
  }

  @Test
  void upstream500ThenSuccessIsRetriedInvisibly() {
    stub.enqueue(Response.json(503, "{}"), answer("second time lucky").response());

    var r =
        post(
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-shelf-attempts")).isEqualTo("2");
    assertThat(r.json().path("choices").get(0).path("message").path("content").asText())
        .isEqualTo("second time lucky");
    assertThat(stub.requests()).hasSize(2);
  }

  @Test
  void anUpstreamConnectionResetIs502() {
    stub.handler(r -> Response.reset());

    var e =
        catchThrowableOfType(
            InternalServerException.class,
            () -> client.chat().completions().create(ask("hi").build()));
    assertThat(e.statusCode()).isEqualTo(502);
    assertThat(e.code()).contains("upstream_error");
    assertThat(stub.requests()).hasSize(2);
  }

  @Test
  void anUpstreamThatNeverAnswersIs504AndIsCancelled() {
    stub.enqueue(Response.hang());
    long start = System.nanoTime();

    var e =
        catchThrowableOfType(
            InternalServerException.class,
            () -> tight.sdk("any").chat().completions().create(ask("hi").build()));

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(e.statusCode()).isEqualTo(504);
    assertThat(e.type()).contains("server_error");
    assertThat(e.code()).contains("upstream_timeout");
    assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(3));
    // Shelf hung up on the upstream when the deadline passed, not minutes later.
    assertThat(stub.onlyRequest().awaitClientGone(Duration.ofSeconds(3)))
        .isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aStreamWhoseFirstTokenNeverComesIs504BeforeAnyEvent() {
    stub.enqueue(Response.hang());

    var r =
        tight.post(
            "/v1/chat/completions",
            "{\"model\": \"gpt-shelf\", \"stream\": true,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");

    assertError(r, 504, "server_error", null, "upstream_timeout");
    stub.onlyRequest().awaitClientGone(Duration.ofSeconds(3));
  }

  @Test
  void upstream401IsNotRetriedOnTheSameDeployment() {
    stub.handler(r -> Response.json(401, "{\"error\": {\"message\": \"bad key\"}}"));
    var r =
        post(
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertThat(r.status()).isEqualTo(502);
    assertThat(stub.requests()).hasSize(1);
  }

  @Test
  void upstream401Is502AndNeverLeaksTheSecretOrTheRawBody() {
    String raw =
        "{\"error\": {\"message\": \"Incorrect API key provided: "
            + UPSTREAM_KEY
            + ". Request trace vendor-internal-8c1f.\", \"type\": \"invalid_request_error\","
            + " \"code\": \"invalid_api_key\"}}";
    stub.handler(r -> Response.json(401, raw));

    var r =
        post(
            "{\"model\": \"gpt-shelf\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertError(r, 502, "server_error", null, "upstream_misconfigured");
    assertThat(r.body())
        .doesNotContain(UPSTREAM_KEY)
        .doesNotContain("sk-test")
        .doesNotContain("vendor-internal-8c1f")
        .doesNotContain("Incorrect API key")
        .doesNotContain("invalid_api_key");

    var streamed =
        post(
            "{\"model\": \"gpt-shelf\", \"stream\": true,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertError(streamed, 502, "server_error", null, "upstream_misconfigured");
    assertThat(streamed.body()).doesNotContain(UPSTREAM_KEY).doesNotContain("vendor-internal");

    var e =
        catchThrowableOfType(
            InternalServerException.class,
            () -> client.chat().completions().create(ask("hi").build()));
    assertThat(e.statusCode()).isEqualTo(502);
    assertThat(e.getMessage()).doesNotContain(UPSTREAM_KEY);
  }

  @Test
  void upstream429IsARateLimitWithRetryAfter() {
    stub.handler(
        r ->
            Response.json(
                429, "{\"error\": {\"message\": \"slow down\", \"type\": \"requests\"}}"));

    var e =
        catchThrowableOfType(
            RateLimitException.class, () -> client.chat().completions().create(ask("hi").build()));
    assertThat(e.statusCode()).isEqualTo(429);
    assertThat(e.type()).contains("rate_limit_error");
    assertThat(e.code()).contains("rate_limit_exceeded");
    assertThat(e.headers().values("retry-after")).containsExactly("1");
  }

  @Test
  void anUpstream400IsPassedOnWithItsParamAndSecretsRedacted() {
    stub.handler(
        r ->
            Response.json(
                400,
                "{\"error\": {\"message\": \"Invalid value for 'top_k' (key sk-live-abcdef123456"
                    + " rejected)\", \"type\": \"invalid_request_error\", \"param\": \"top_k\","
                    + " \"code\": \"invalid_value\"}}"));

    var r =
        post(
            "{\"model\": \"gpt-shelf\", \"top_k\": -1,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");

    assertError(r, 400, "invalid_request_error", "top_k", "invalid_value");
    assertThat(r.json().path("error").path("message").asText())
        .contains("Invalid value for 'top_k'")
        .doesNotContain("sk-live-abcdef123456");
    assertThat(stub.requests()).as("a client error is not retried").hasSize(1);
  }

  // ------------------------------------------------------------------------------ broken streams

  @Test
  void anErrorEventMidStreamReachesTheStreamingClientOnce() {
    stub.handler(
        r ->
            ChatStream.of("up-model")
                .role()
                .content("Partial ")
                .content("answer")
                .error("The server is overloaded", "server_error", "overloaded")
                .response());

    var content = new StringBuilder();
    var e =
        catchThrowableOfType(
            SseException.class,
            () -> {
              try (var s = client.chat().completions().createStreaming(ask("hi").build())) {
                s.stream()
                    .forEach(
                        c ->
                            c.choices()
                                .forEach(ch -> ch.delta().content().ifPresent(content::append)));
              }
            });

    assertThat(content.toString()).isEqualTo("Partial answer");
    assertThat(e.code()).contains("upstream_error");
    assertThat(e.type()).contains("server_error");
    assertThat(e.getMessage()).doesNotContain(UPSTREAM_KEY);
    assertThat(stub.requests()).as("nothing is retried once the client has bytes").hasSize(1);
  }

  @Test
  void aStreamCutOffAfterAChunkEndsWithAnErrorEventNotDone() {
    stub.handler(
        r -> ChatStream.of("up-model").role().content("Half a sen").response().thenCutOffAfter(30));

    var raw =
        post(
            "{\"model\": \"gpt-shelf\", \"stream\": true,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");

    assertThat(raw.status()).isEqualTo(200);
    List<String> events = raw.events();
    assertThat(events).doesNotContain("[DONE]");
    assertThat(events.getLast()).contains("\"error\"").contains("upstream_error");
    assertThat(String.join("", events)).containsOnlyOnce("Half a sen");
    assertThat(stub.requests()).hasSize(1);
  }

  @Test
  void aStreamCutOffIsRetriedForANonStreamingClientWithoutDuplicates() {
    stub.enqueue(
        ChatStream.of("up-model").role().content("Half a sen").response().thenCutOff(),
        answer("A whole sentence.").response());

    ChatCompletion c = client.chat().completions().create(ask("hi").build());

    assertThat(c.choices().getFirst().message().content()).contains("A whole sentence.");
    assertThat(stub.requests()).hasSize(2);
  }

  @Test
  void aClientThatLeavesMidStreamCancelsTheUpstreamCall() {
    var fragments =
        new ArrayList<Fragment>(
            ChatStream.of("up-model").role().content("first").response().fragments());
    for (int i = 0; i < 100; i++) {
      fragments.addAll(
          ChatStream.of("up-model").content(" more" + i).response().paced(50).fragments());
    }
    fragments.addAll(ChatStream.of("up-model").finish("stop").done().response().fragments());
    stub.enqueue(Response.sse(fragments));

    var got = new ArrayList<ChatCompletionChunk>();
    try (var s = client.chat().completions().createStreaming(ask("hi").build())) {
      var it = s.stream().iterator();
      got.add(it.next());
      got.add(it.next());
    }

    assertThat(got.get(1).choices().getFirst().delta().content()).contains("first");
    assertThat(stub.onlyRequest().awaitClientGone(Duration.ofSeconds(4)))
        .isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aClientThatLeavesMidStreamIsLoggedAs499() throws Exception {
    var log = new java.io.ByteArrayOutputStream();
    try (var logged =
        ShelfHarness.start(
            """
            server: {port: 0, shutdown_grace: 1s, access_log: true}
            providers:
              up: {type: openai, base_url: %s, api_key: %s}
            models:
              - {id: gpt-shelf, provider: up, upstream: up-model}
            """
                .formatted(stub.baseUrl(), UPSTREAM_KEY),
            new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8))) {
      var fragments =
          new ArrayList<Fragment>(ChatStream.of("up-model").role().response().fragments());
      for (int i = 0; i < 100; i++) {
        fragments.addAll(
            ChatStream.of("up-model").content("x" + i).response().paced(20).fragments());
      }
      stub.enqueue(Response.sse(fragments));
      try (var s = logged.sdk("any").chat().completions().createStreaming(ask("hi").build())) {
        s.stream().iterator().next();
      }
      stub.onlyRequest().awaitClientGone(Duration.ofSeconds(4));
      long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (!log.toString(java.nio.charset.StandardCharsets.UTF_8).contains("\"status\"")
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
    String line = log.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(line).contains("\"status\":499").contains("client_closed_request");
  }
}

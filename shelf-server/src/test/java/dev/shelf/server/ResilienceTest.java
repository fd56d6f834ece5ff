package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Response;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Retries, fallbacks, timeouts, breakers and cancellation, end to end: a real Shelf in front of two
 * stub upstreams that fail in scripted ways, observed from the client's side and the upstreams'.
 */
@SuppressWarnings("NullAway.Init")
class ResilienceTest {
  private static final String ASK =
      """
      {"model": "%s", "messages": [{"role": "user", "content": "hi"}]%s}""";

  private StubUpstream primary;
  private StubUpstream secondary;
  private ShelfHarness shelf;

  @BeforeEach
  void start() {
    primary = StubUpstream.start();
    secondary = StubUpstream.start();
  }

  @AfterEach
  void stop() {
    if (shelf != null) {
      shelf.close();
    }
    primary.close();
    secondary.close();
  }

  private void shelf(String resilience) {
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, shutdown_grace: 2s, access_log: false}
            resilience: {%s}
            providers:
              p1: {type: openai, base_url: %s}
              p2: {type: openai, base_url: %s}
            models:
              - {id: solo, provider: p1, upstream: up-solo}
              - {id: pair, provider: p1, upstream: up-a, priority: 0}
              - {id: pair, provider: p2, upstream: up-b, priority: 1}
              - {id: tiny, provider: p1, upstream: up-tiny, context: 8}
              - {id: backup, provider: p2, upstream: up-backup}
            routes:
              - {id: guarded, targets: [solo], fallbacks: [backup]}
              - {id: small, targets: [tiny], fallbacks: [backup]}
            """
                .formatted(resilience, primary.baseUrl(), secondary.baseUrl()));
  }

  private static Response ok(String model, String text) {
    return ChatStream.of(model).role().content(text).finish("stop").usage(5, 2).done().response();
  }

  private static String ask(String model, boolean stream) {
    return ASK.formatted(model, stream ? ", \"stream\": true" : "");
  }

  private static Response.Whole status(int code) {
    return Response.json(
        code, "{\"error\": {\"message\": \"upstream says " + code + "\", \"type\": \"x\"}}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"500", "429", "reset", "timeout"})
  void aPrimaryFailingBeforeTheFirstByteIsRetriedAndTheAttemptsAreReported(String failure) {
    shelf(
        "max_attempts: 3, backoff_base: 1ms, backoff_max: 5ms, first_token_timeout: 300ms,"
            + " cooldown: 1ms");
    for (boolean stream : new boolean[] {false, true}) {
      primary.enqueue(
          switch (failure) {
            case "500" -> status(500);
            case "429" -> status(429).header("retry-after", "0");
            case "reset" -> Response.reset();
            default -> Response.hang();
          });
      primary.enqueue(ok("up-solo", "recovered"));

      var r = shelf.post("/v1/chat/completions", ask("solo", stream));

      assertThat(r.status()).as(failure + " stream=" + stream).isEqualTo(200);
      assertThat(r.body()).contains("recovered");
      assertThat(r.header("x-shelf-attempts")).isEqualTo("2");
      assertThat(r.header("x-shelf-deployment")).isEqualTo("p1/up-solo");
    }
  }

  @Test
  void aFailingDeploymentHandsOverToTheNextOneOfTheSameModel() {
    shelf("max_attempts: 2, backoff_base: 1ms, backoff_max: 2ms");
    primary.handler(req -> status(503));
    secondary.enqueue(ok("up-b", "from b"));

    var r = shelf.post("/v1/chat/completions", ask("pair", false));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo("from b");
    assertThat(r.header("x-shelf-deployment")).isEqualTo("p2/up-b");
    assertThat(r.header("x-shelf-attempts")).isEqualTo("2");
    assertThat(primary.requests()).hasSize(1);
  }

  @Test
  void whenEveryAttemptFailsTheFallbackModelAnswers() {
    shelf("max_attempts: 2, backoff_base: 1ms, backoff_max: 2ms, first_token_timeout: 200ms");
    primary.handler(req -> Response.hang());
    secondary.enqueue(ok("up-backup", "from the fallback"));

    var r = shelf.post("/v1/chat/completions", ask("guarded", true));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("from the fallback").endsWith("data: [DONE]\n\n");
    assertThat(r.header("x-shelf-deployment")).isEqualTo("p2/up-backup");
    assertThat(r.header("x-shelf-attempts")).isEqualTo("3");
    assertThat(r.header("x-shelf-fallbacks")).isEqualTo("1");
    assertThat(primary.requests()).hasSize(2);
  }

  @Test
  void aPromptLongerThanTheContextWindowGoesStraightToTheFallback() {
    shelf("max_attempts: 1");
    secondary.enqueue(ok("up-backup", "long enough"));

    var r =
        shelf.post(
            "/v1/chat/completions",
            """
            {"model": "small", "messages": [{"role": "user", "content": "%s"}]}"""
                .formatted("many words ".repeat(20)));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-shelf-deployment")).isEqualTo("p2/up-backup");
    assertThat(primary.requests()).isEmpty();
  }

  @Test
  void anUpstreamContextLengthErrorFallsBack() {
    shelf("max_attempts: 3");
    primary.enqueue(
        Response.json(
            400,
            """
            {"error": {"message": "This model's maximum context length is 8192 tokens",
             "type": "invalid_request_error", "code": "context_length_exceeded"}}"""));
    secondary.enqueue(ok("up-backup", "fits here"));

    var r = shelf.post("/v1/chat/completions", ask("guarded", false));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("fits here");
    assertThat(primary.requests()).hasSize(1); // not retried on the model that is too small
  }

  @Test
  void aStreamThatBreaksAfterTheFirstByteEndsWithOneErrorEventAndNoDuplicates() {
    shelf("max_attempts: 3, backoff_base: 1ms");
    // Paced, so the content arrives before the connection dies (a JDK client drops bytes that
    // are still buffered when it learns of the failure).
    primary.enqueue(
        ChatStream.of("up-solo").role().content("partial ").response().paced(20).thenCutOff());
    primary.enqueue(ok("up-solo", "should never be sent"));

    var r = shelf.post("/v1/chat/completions", ask("solo", true));

    assertThat(r.status()).isEqualTo(200);
    List<String> events = r.events();
    assertThat(String.join("", events)).doesNotContain("should never be sent");
    assertThat(events.stream().filter(e -> e.contains("partial ")).count()).isEqualTo(1);
    assertThat(events.getLast()).contains("\"error\"").contains("upstream_error");
    assertThat(events).doesNotContain("[DONE]");
    assertThat(primary.requests()).hasSize(1);
  }

  @Test
  void aNonStreamingAnswerWhoseUpstreamStreamBrokeLateIsRetriedInvisibly() {
    shelf("max_attempts: 3, backoff_base: 1ms");
    primary.enqueue(ChatStream.of("up-solo").role().content("partial ").response().thenCutOff());
    primary.enqueue(ok("up-solo", "whole answer"));

    var r = shelf.post("/v1/chat/completions", ask("solo", false));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo("whole answer");
    assertThat(r.header("x-shelf-attempts")).isEqualTo("2");
  }

  @Test
  void finalFailuresMapToGatewayStatusesWithoutLeakingTheUpstreamBody() {
    shelf("max_attempts: 1, first_token_timeout: 200ms, breaker_failures: 100");
    primary.enqueue(
        Response.json(503, "{\"error\": {\"message\": \"node 10.1.2.3 key sk-leak-me-123456\"}}"));
    var unavailable = shelf.post("/v1/chat/completions", ask("solo", false));
    assertThat(unavailable.status()).isEqualTo(502);
    assertThat(unavailable.json().at("/error/code").asText()).isEqualTo("upstream_error");
    assertThat(unavailable.body()).doesNotContain("sk-leak").doesNotContain("10.1.2.3");

    primary.enqueue(Response.hang());
    var timeout = shelf.post("/v1/chat/completions", ask("solo", true));
    assertThat(timeout.status()).isEqualTo(504);
    assertThat(timeout.json().at("/error/code").asText()).isEqualTo("upstream_timeout");

    primary.enqueue(status(429).header("retry-after", "7"));
    var limited = shelf.post("/v1/chat/completions", ask("solo", false));
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.header("retry-after")).isEqualTo("7");
    assertThat(limited.json().at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
  }

  @Test
  void aBreakerOpensAfterRepeatedFailuresAndAProbeClosesIt() throws Exception {
    shelf("max_attempts: 1, breaker_failures: 2, breaker_open: 400ms");
    primary.handler(req -> status(500));

    assertThat(shelf.post("/v1/chat/completions", ask("solo", false)).status()).isEqualTo(502);
    assertThat(shelf.post("/v1/chat/completions", ask("solo", false)).status()).isEqualTo(502);
    assertThat(shelf.get("/metrics").body())
        .contains("shelf_breaker_state{deployment=\"p1/up-solo\"} 2.0");

    var open = shelf.post("/v1/chat/completions", ask("solo", false));
    assertThat(open.status()).isEqualTo(503);
    assertThat(open.json().at("/error/code").asText()).isEqualTo("no_healthy_deployment");
    assertThat(open.header("retry-after")).isNotNull();
    assertThat(primary.requests()).hasSize(2); // the open breaker kept it from the upstream

    Thread.sleep(500); // the breaker's open period (plus at most 10% jitter) passes
    primary.handler(req -> ok("up-solo", "back"));
    var probe = shelf.post("/v1/chat/completions", ask("solo", false));
    assertThat(probe.status()).isEqualTo(200);
    assertThat(shelf.get("/metrics").body())
        .contains("shelf_breaker_state{deployment=\"p1/up-solo\"} 0.0");
    assertThat(shelf.post("/v1/chat/completions", ask("solo", false)).status()).isEqualTo(200);
  }

  @Test
  void aClientThatDisconnectsCancelsTheUpstreamWithin100Milliseconds() throws Exception {
    shelf("max_attempts: 1");
    var slow = ChatStream.of("up-solo").role();
    for (int i = 0; i < 200; i++) {
      slow.content("tick ");
    }
    primary.enqueue(slow.finish("stop").done().response().paced(10));

    long closedAt;
    try (var socket = new Socket("127.0.0.1", shelf.port())) {
      byte[] body = ask("solo", true).getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      var seen = new StringBuilder();
      byte[] buf = new byte[4096];
      while (!seen.toString().contains("tick")) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      }
      closedAt = System.nanoTime();
    }

    long upstreamClosed =
        primary.awaitRequests(1, Duration.ofSeconds(2)).getFirst().clientGone().get();
    assertThat(Duration.ofNanos(upstreamClosed - closedAt)).isLessThan(Duration.ofMillis(100));
  }

  /** An answer of {@code words} words, one chunk each, {@code paceMillis} apart. */
  private static Response slowAnswer(String prefix, int words, long paceMillis) {
    var slow = ChatStream.of("up-solo").role();
    for (int i = 0; i < words; i++) {
      slow.content(prefix + i + " ");
    }
    return slow.finish("stop").usage(1, words).done().response().paced(paceMillis);
  }

  /** A Shelf of its own over the primary stub, for tests that stop it or limit it. */
  private ShelfRuntime ownRuntime(String server) {
    return ShelfRuntime.of(
        new ConfigLoader(Map.of())
            .parse(
                "test.yaml",
                """
                server: {port: 0, access_log: false, %s}
                providers: {p1: {type: openai, base_url: %s}}
                models: [{id: solo, provider: p1, upstream: up-solo}]
                """
                    .formatted(server, primary.baseUrl())));
  }

  private static HttpRequest post(URI uri, String body) {
    return HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  @Test
  void shutdownLetsStreamsInFlightFinishAndRefusesNewRequests() throws Exception {
    primary.enqueue(slowAnswer("w", 20, 20));
    try (var runtime = ownRuntime("shutdown_grace: 5s");
        var http = HttpClient.newHttpClient()) {
      var server = ShelfServer.start(runtime, null);
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
      var streamed =
          http.sendAsync(post(uri, ask("solo", true)), HttpResponse.BodyHandlers.ofString());
      primary.awaitRequests(1, Duration.ofSeconds(2));
      Thread stopper = Thread.ofVirtual().start(server::stop);
      Thread.sleep(100);

      var refused = http.send(post(uri, ask("solo", false)), HttpResponse.BodyHandlers.ofString());
      stopper.join(5000);

      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("server_shutting_down");
      assertThat(streamed.get().statusCode()).isEqualTo(200);
      assertThat(streamed.get().body()).contains("w19 ").endsWith("data: [DONE]\n\n");
      assertThat(stopper.isAlive()).isFalse();
    }
  }

  @Test
  void pastMaxInFlightRequestsAreShedAtOnceWith503() throws Exception {
    primary.enqueue(slowAnswer("s", 10, 30));
    try (var runtime = ownRuntime("max_in_flight: 1");
        var http = HttpClient.newHttpClient()) {
      var server = ShelfServer.start(runtime, null);
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
      var first =
          http.sendAsync(post(uri, ask("solo", true)), HttpResponse.BodyHandlers.ofString());
      primary.awaitRequests(1, Duration.ofSeconds(2));
      long start = System.nanoTime();
      var shed = http.send(post(uri, ask("solo", false)), HttpResponse.BodyHandlers.ofString());
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(shed.statusCode()).isEqualTo(503);
      assertThat(shed.body()).contains("server_overloaded");
      assertThat(shed.headers().firstValue("retry-after")).hasValue("1");
      assertThat(took).isLessThan(Duration.ofMillis(200)); // refused, not queued
      assertThat(first.get().body()).endsWith("data: [DONE]\n\n");
      server.stop();
    }
  }
}

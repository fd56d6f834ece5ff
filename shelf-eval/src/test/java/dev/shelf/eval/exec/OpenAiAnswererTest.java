package dev.shelf.eval.exec;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.shelf.eval.dataset.SafetyItem;
import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.run.Response;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The HTTP answerer against raw replies: usage and TTFT, errors as failed responses. */
class OpenAiAnswererTest {
  private static final SafetyItem ITEM =
      new SafetyItem("x:1", "x", 1, "", "hi", SafetyLabel.SHOULD_ANSWER);

  private static Response ask(int status, String type, String body) throws Exception {
    return answerFrom(
        ex -> {
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("content-type", type);
          ex.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          }
        });
  }

  /** One item asked of a loopback server whose chat completions {@code handler} answers. */
  private static Response answerFrom(HttpHandler handler) throws Exception {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/chat/completions",
        ex -> {
          ex.getRequestBody().readAllBytes();
          handler.handle(ex);
        });
    server.start();
    try {
      return answerer("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/")
          .answer(ITEM, new Prompt("hi", List.of()));
    } finally {
      server.stop(0);
    }
  }

  private static OpenAiAnswerer answerer(String url) {
    return new OpenAiAnswerer(
        HttpClient.newHttpClient(),
        URI.create(url),
        "sk",
        "m",
        ChatSettings.DEFAULT,
        new ModelPrice(1, 2, "USD"),
        Duration.ofSeconds(5));
  }

  @Test
  void aStreamGivesTextUsageTtftAndCost() throws Exception {
    Response r =
        ask(
            200,
            "text/event-stream",
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
                + ": keep-alive\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":4}}\n\n"
                + "data: [DONE]\n\n");
    assertThat(r.text()).isEqualTo("Hello");
    var m = requireNonNull(r.measurement());
    assertThat(m.timeToFirstToken()).isNotNull();
    assertThat(m.inputTokens()).isEqualTo(10);
    assertThat(m.outputTokens()).isEqualTo(4);
    assertThat(m.cost()).isEqualByComparingTo(new BigDecimal("0.000018"));
  }

  @Test
  void errorsBecomeFailedResponsesWithStatusAndMessage() throws Exception {
    assertThat(
            ask(401, "application/json", "{\"error\":{\"message\":\"bad key\",\"type\":\"x\"}}")
                .error())
        .isEqualTo("HTTP 401: bad key");
    assertThat(ask(502, "text/plain", "upstream down").error())
        .isEqualTo("HTTP 502: upstream down (3 attempts)");
    assertThat(
            ask(
                    200,
                    "text/event-stream",
                    "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")
                .error())
        .isEqualTo("the stream ended before [DONE]");
    assertThat(
            ask(200, "text/event-stream", "data: {\"error\":{\"message\":\"overloaded\"}}\n\n")
                .error())
        .isEqualTo("error in the stream: overloaded");
    assertThat(answerer("http://127.0.0.1:9/v1").answer(ITEM, new Prompt("hi", List.of())).error())
        .startsWith("call failed");
  }

  /** A server that answers {@code failures} calls with {@code status}, then a good stream. */
  private static Response flaky(int failures, int status, AtomicInteger calls) throws Exception {
    return answerFrom(
        ex -> {
          boolean fail = calls.incrementAndGet() <= failures;
          if (fail) {
            ex.getResponseHeaders().set("retry-after", "0");
          }
          byte[] bytes =
              (fail
                      ? "{\"error\":{\"message\":\"busy\"}}"
                      : "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: [DONE]\n\n")
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders()
              .set("content-type", fail ? "application/json" : "text/event-stream");
          ex.sendResponseHeaders(fail ? status : 200, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          }
        });
  }

  @Test
  void aMomentsOutageIsTriedAgainAndAClientErrorOrRateLimitIsNot() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    assertThat(flaky(2, 502, calls).text()).isEqualTo("ok");
    assertThat(calls.get()).isEqualTo(3);

    calls.set(0);
    assertThat(flaky(1, 503, calls).text()).isEqualTo("ok");
    assertThat(calls.get()).isEqualTo(2);

    calls.set(0);
    assertThat(flaky(3, 503, calls).error()).isEqualTo("HTTP 503: busy (3 attempts)");
    assertThat(calls.get()).isEqualTo(Retries.ATTEMPTS);

    calls.set(0);
    assertThat(flaky(1, 400, calls).error()).isEqualTo("HTTP 400: busy");
    assertThat(calls.get()).as("a bad request is the item's answer").isEqualTo(1);

    calls.set(0);
    assertThat(flaky(1, 429, calls).error()).isEqualTo("HTTP 429: busy");
    assertThat(calls.get()).as("a rate limit is reported, not waited out").isEqualTo(1);
  }

  @Test
  void aWholeJsonAnswerIsReadWithoutTtft() throws Exception {
    Response r =
        ask(
            200,
            "application/json",
            "{\"choices\":[{\"message\":{\"content\":\"Hi\"}}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}");
    assertThat(r.text()).isEqualTo("Hi");
    var m = requireNonNull(r.measurement());
    assertThat(m.timeToFirstToken()).isNull();
    assertThat(m.outputTokens()).isEqualTo(1);
  }
}

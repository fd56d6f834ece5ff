package dev.shelf.eval.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.shelf.api.Json;
import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.prompt.Prompt;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The log-likelihood answerer's request and its reading of echoed prompt logprobs. */
class LoglikelihoodAnswererTest {
  static JsonNode json(String s) throws IOException {
    return Json.MAPPER.readTree(s);
  }

  @Test
  void theBodyAsksForEchoedPromptLogprobsOfEachChoiceWithoutGenerating() {
    var a =
        new LoglikelihoodAnswerer(
            java.net.http.HttpClient.newHttpClient(),
            java.net.URI.create("http://127.0.0.1:1/v1/"),
            null,
            "m",
            null,
            Duration.ofSeconds(1));
    var body = a.body(new Prompt("Q?\nAnswer:", List.of()), 3);
    assertThat(body.get("prompt").toString())
        .isEqualTo("[\"Q?\\nAnswer: A\",\"Q?\\nAnswer: B\",\"Q?\\nAnswer: C\"]");
    assertThat(body.get("max_tokens").asInt()).isZero();
    assertThat(body.get("echo").asBoolean()).isTrue();
    assertThat(body.get("logprobs").asInt()).isZero();
  }

  @Test
  void aMomentsOutageIsTriedAgain() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/completions",
        ex -> {
          ex.getRequestBody().readAllBytes();
          boolean fail = calls.incrementAndGet() == 1;
          byte[] bytes =
              (fail
                      ? "{\"error\":{\"message\":\"restarting\"}}"
                      : """
                      {"choices": [
                        {"index": 0, "text": "Q: A", "logprobs": {
                          "token_logprobs": [null, -2.0], "text_offset": [0, 2]}},
                        {"index": 1, "text": "Q: B", "logprobs": {
                          "token_logprobs": [null, -0.5], "text_offset": [0, 2]}}
                      ]}
                      """)
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("content-type", "application/json");
          ex.sendResponseHeaders(fail ? 503 : 200, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    try {
      var a =
          new LoglikelihoodAnswerer(
              java.net.http.HttpClient.newHttpClient(),
              java.net.URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/"),
              null,
              "m",
              null,
              Duration.ofSeconds(5));
      var item = new ChoiceItem("x:1", "x", 1, "", "Q", List.of("yes", "no"), 'B');
      var r = a.answer(item, new Prompt("Q:", List.of()));
      assertThat(r.error()).isNull();
      assertThat(r.text()).isEqualTo("B");
      assertThat(calls.get()).isEqualTo(2);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aChoiceScoresTheTokensThatEndAfterTheContext() throws IOException {
    // "Answer:" + " B" tokenized as "Answer", ":", " B"; choice 0 as "Answer", ": A" (a token
    // across the boundary belongs to the continuation)
    JsonNode answer =
        json(
            """
            {"choices": [
              {"index": 1, "text": "Answer: B", "logprobs": {
                "tokens": ["Answer", ":", " B"], "token_logprobs": [null, -0.5, -1.25],
                "text_offset": [0, 6, 7]}},
              {"index": 0, "text": "Answer: A", "logprobs": {
                "tokens": ["Answer", ": A"], "token_logprobs": [null, -3.0],
                "text_offset": [0, 6]}}
            ]}
            """);
    double[] scores = LoglikelihoodAnswerer.scores(answer, "Answer:", 2);
    assertThat(scores).containsExactly(-3.0, -1.25);
  }

  @Test
  void anAnswerWithoutLogprobsOrAChoiceIsAnError() throws IOException {
    JsonNode noLogprobs =
        json("{\"choices\": [{\"index\": 0, \"text\": \"x A\", \"logprobs\": null}]}");
    assertThatThrownBy(() -> LoglikelihoodAnswerer.scores(noLogprobs, "x", 1))
        .hasMessageContaining("no prompt logprobs");
    JsonNode one =
        json(
            "{\"choices\": [{\"index\": 0, \"text\": \"x A\", \"logprobs\": {\"token_logprobs\":"
                + " [null, -1], \"text_offset\": [0, 1]}}]}");
    assertThatThrownBy(() -> LoglikelihoodAnswerer.scores(one, "x", 2))
        .hasMessageContaining("no choice 1");
  }

  @Test
  void settingsDefaultToGeneratingAndLoglikelihoodIsForMultipleChoiceOnly() {
    assertThat(new ChatSettings(0, 5, null).loglikelihood()).isFalse();
    assertThat(new ChatSettings(0, 5, null, null).scoring()).isEqualTo(ChatSettings.GENERATE);
    assertThatThrownBy(() -> new ChatSettings(0, 5, null, "vibes"))
        .hasMessageContaining("scoring must be");
    ChatSettings ll = new ChatSettings(0, 5, null, ChatSettings.LOGLIKELIHOOD);
    assertThatThrownBy(
            () ->
                new RunSpec(
                    "r",
                    new DatasetSpec("g", TaskType.MATH, "x", null, "gsm8k", null),
                    List.of("m"),
                    0,
                    ll,
                    1,
                    null,
                    "http://x/v1",
                    Map.of()))
        .hasMessageContaining("multiple-choice");
    RunSpec spec =
        new RunSpec(
            "r",
            new DatasetSpec("g", TaskType.MULTIPLE_CHOICE, "x", null, "mmlu", null),
            List.of("m"),
            0,
            ll,
            1,
            null,
            "http://x/v1",
            Map.of());
    assertThat(RunSpec.fromJson(spec.toJson())).isEqualTo(spec);
    // a run stored before scoring existed reads as generating
    String old = spec.toJson().replace(",\"scoring\":\"loglikelihood\"", "");
    assertThat(old).doesNotContain("scoring");
    assertThat(RunSpec.fromJson(old).settings().scoring()).isEqualTo(ChatSettings.GENERATE);
    assertThat(
            Answerers.forRun(
                java.net.http.HttpClient.newHttpClient(),
                java.net.URI.create("http://x/v1"),
                null,
                "m",
                ll,
                null,
                Duration.ofSeconds(1)))
        .isInstanceOf(LoglikelihoodAnswerer.class);
  }
}

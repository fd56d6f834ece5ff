package dev.shelf.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.cli.bench.HttpLoad.Mode;
import dev.shelf.cli.bench.Stats.Result;
import dev.shelf.providers.sse.SseReader;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The benchmark's machinery, run for a few hundred milliseconds: the stub answers what an OpenAI
 * client expects, the load generator completes requests without errors both ways, and it does count
 * failures, so a run can never quietly measure error pages.
 */
class GatewayBenchTest {
  private static final Duration WARMUP = Duration.ofMillis(100);
  private static final Duration WINDOW = Duration.ofMillis(300);

  @Test
  void stubStreamsSseEndingInDoneAndItsContentEqualsTheWholeAnswer() throws Exception {
    try (var stub = StubUpstream.start();
        var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      String url = "http://127.0.0.1:" + stub.port() + "/v1/chat/completions";
      HttpResponse<byte[]> streamed =
          client.send(
              HttpRequest.newBuilder(URI.create(url))
                  .POST(HttpRequest.BodyPublishers.ofString(BenchRig.STREAM_JSON))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(streamed.statusCode()).isEqualTo(200);
      assertThat(streamed.headers().firstValue("content-type")).hasValue("text/event-stream");
      assertThat(streamed.headers().firstValue("transfer-encoding")).hasValue("chunked");

      var reader = new SseReader(new ByteArrayInputStream(streamed.body()));
      var data = new ArrayList<String>();
      SseReader.Event e;
      while ((e = reader.next()) != null) {
        data.add(e.data());
      }
      assertThat(data).hasSize(StubUpstream.CONTENT_CHUNKS + 2);
      assertThat(data.getLast()).isEqualTo("[DONE]");
      var content = new StringBuilder();
      for (String d : data.subList(0, StubUpstream.CONTENT_CHUNKS)) {
        JsonNode chunk = Json.MAPPER.readTree(d);
        assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
        content.append(chunk.path("choices").path(0).path("delta").path("content").asText());
      }
      JsonNode usage = Json.MAPPER.readTree(data.get(StubUpstream.CONTENT_CHUNKS));
      assertThat(usage.path("choices").size()).isZero();
      assertThat(usage.path("usage").path("completion_tokens").asInt())
          .isEqualTo(StubUpstream.CONTENT_CHUNKS);
      assertThat(content.toString()).isEqualTo(StubUpstream.content());

      HttpResponse<String> whole =
          client.send(
              HttpRequest.newBuilder(URI.create(url))
                  .POST(HttpRequest.BodyPublishers.ofString(BenchRig.WHOLE_JSON))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(whole.statusCode()).isEqualTo(200);
      JsonNode completion = Json.MAPPER.readTree(whole.body());
      assertThat(completion.path("choices").path(0).path("message").path("content").asText())
          .isEqualTo(StubUpstream.content());
      assertThat(stub.streamAnswers()).isEqualTo(1);
      assertThat(stub.wholeAnswers()).isEqualTo(1);
    }
  }

  @Test
  void stubTellsStreamRequestsApart() {
    assertThat(streams("{\"stream\":true}")).isTrue();
    assertThat(streams("{\"model\":\"m\", \"stream\" :\n true}")).isTrue();
    assertThat(streams("{\"stream\":false,\"stream_options\":{\"include_usage\":true}}")).isFalse();
    assertThat(streams("{\"stream_options\":true}")).isFalse();
    assertThat(streams("{}")).isFalse();
  }

  private static boolean streams(String json) {
    byte[] b = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return StubUpstream.streams(b, b.length);
  }

  @Test
  void loadCompletesWithoutErrorsDirectAndThroughShelfWithAuth() throws Exception {
    try (var rig = BenchRig.start("sk-bench-test-key-0123456789")) {
      for (Mode mode : Mode.values()) {
        for (int port : new int[] {rig.stubPort(), rig.shelfPort()}) {
          Result r =
              HttpLoad.run(
                  port,
                  rig.request(port, mode == Mode.STREAM),
                  mode,
                  2,
                  WARMUP,
                  WINDOW,
                  HttpLoad.Ticker.NONE);
          String what = mode + " on port " + port + " (Shelf is " + rig.shelfPort() + ")";
          assertThat(r.errors()).as(what + ": " + r.firstError()).isZero();
          assertThat(r.completed()).as(what).isPositive();
          assertThat(r.latency().p50()).as(what).isPositive();
          if (mode == Mode.STREAM) {
            Stats.Percentiles first = java.util.Objects.requireNonNull(r.firstEvent(), what);
            assertThat(first.p50()).as(what).isPositive();
            assertThat(first.p50()).as(what).isLessThanOrEqualTo(r.latency().p50());
          }
        }
      }
      // Shelf always streams from its upstream, and the stub saw all of it.
      assertThat(rig.stub().streamAnswers()).isPositive();
    }
  }

  @Test
  void failuresAreCountedNotMeasured() throws Exception {
    try (var rig = BenchRig.start("sk-bench-test-key-0123456789")) {
      byte[] wrongPath =
          HttpLoad.post(rig.stubPort(), "/v1/nothing", BenchRig.WHOLE_JSON, rig.key());
      Result notFound =
          HttpLoad.run(
              rig.stubPort(),
              wrongPath,
              Mode.WHOLE,
              1,
              Duration.ZERO,
              WINDOW,
              HttpLoad.Ticker.NONE);
      assertThat(notFound.completed()).isZero();
      assertThat(notFound.errors()).isPositive();
      assertThat(notFound.firstError()).startsWith("HTTP 404");

      byte[] noKey =
          HttpLoad.post(
              rig.shelfPort(), BenchRig.PATH, BenchRig.STREAM_JSON, "sk-wrong-key-000000");
      Result unauthorized =
          HttpLoad.run(
              rig.shelfPort(), noKey, Mode.STREAM, 1, Duration.ZERO, WINDOW, HttpLoad.Ticker.NONE);
      assertThat(unauthorized.completed()).isZero();
      assertThat(unauthorized.errors()).isPositive();
      assertThat(unauthorized.firstError()).startsWith("HTTP 401");

      assertThat(HttpLoad.once(rig.stubPort(), wrongPath, Mode.WHOLE)).startsWith("HTTP 404");
      assertThat(HttpLoad.once(rig.shelfPort(), rig.request(rig.shelfPort(), true), Mode.STREAM))
          .isNull();
    }
  }

  @Test
  void commandRunsEveryPhaseAndPrintsJson() throws Exception {
    var text = new StringWriter();
    int status =
        new CommandLine(new GatewayBench())
            .setOut(new PrintWriter(text))
            .execute(
                "--duration=200ms",
                "--warmup=100ms",
                "--concurrency=2",
                "--stream-concurrency=2",
                "--no-progress",
                "--json");
    String out = text.toString();
    assertThat(status).as(out).isZero();
    assertThat(out).contains("c=1 non-streaming latency p50", "c=2 streaming throughput");
    JsonNode json = Json.MAPPER.readTree(out.substring(out.indexOf("\n{") + 1));
    assertThat(json.path("errors").asLong()).isZero();
    List<String> names = new ArrayList<>();
    for (JsonNode p : json.path("phases")) {
      names.add(p.path("name").asText());
      for (String side : List.of("direct", "shelf")) {
        assertThat(p.path(side).path("completed").asLong()).as(p + " " + side).isPositive();
        assertThat(p.path(side).path("errors").asLong()).as(p + " " + side).isZero();
      }
    }
    assertThat(names).containsExactly("c1_whole", "c1_stream", "c2_whole", "c2_stream");
    assertThat(json.path("targets").size()).isEqualTo(2); // c=32 is not in this run
  }

  @Test
  void readsWrkSummary() {
    String out =
        """
        Running 5s test @ http://127.0.0.1:8080/v1/chat/completions
          2 threads and 32 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     1.23ms    2.34ms  45.67ms   91.23%
            Req/Sec    12.34k     1.23k   15.67k    70.00%
          Latency Distribution
             50%  1.00ms
             75%  1.50ms
             90%  2.00ms
             99%  850.00us
          123456 requests in 5.00s, 12.34MB read
          Socket errors: connect 0, read 2, write 0, timeout 1
          Non-2xx or 3xx responses: 12
        Requests/sec:  24691.20
        Transfer/sec:      2.47MB
        """;
    Result r = Wrk.parse(out, 5);
    assertThat(r.completed()).isEqualTo(123456);
    assertThat(r.seconds()).isEqualTo(5.0);
    assertThat(r.perSecond()).isEqualTo(24691.2);
    assertThat(r.errors()).isEqualTo(15);
    assertThat(r.latency().p50()).isEqualTo(1_000_000.0);
    assertThat(r.latency().p90()).isEqualTo(2_000_000.0);
    assertThat(r.latency().p99()).isEqualTo(850_000.0);
    assertThat(r.latency().max()).isEqualTo(45_670_000.0);
  }

  @Test
  void readsDurations() {
    var c = new GatewayBench.DurationConverter();
    assertThat(c.convert("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.convert("300ms")).isEqualTo(Duration.ofMillis(300));
    assertThat(c.convert("1.5")).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void percentilesAreExactNearestRank() {
    long[] v = new long[100];
    for (int i = 0; i < v.length; i++) {
      v[i] = 100L - i; // 1..100, reversed
    }
    var p = Stats.Percentiles.of(v);
    assertThat(p.samples()).isEqualTo(100);
    assertThat(p.p50()).isEqualTo(50);
    assertThat(p.p90()).isEqualTo(90);
    assertThat(p.p99()).isEqualTo(99);
    assertThat(p.max()).isEqualTo(100);
    assertThat(Double.isNaN(Stats.Percentiles.of(new long[0]).p50())).isTrue();
  }
}

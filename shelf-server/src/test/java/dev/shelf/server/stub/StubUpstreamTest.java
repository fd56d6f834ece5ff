package dev.shelf.server.stub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.server.stub.StubUpstream.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stub itself: what it records, and that it sends exactly the bytes it was given. */
class StubUpstreamTest {
  StubUpstream stub;
  HttpClient http;

  @BeforeEach
  void start() {
    stub = StubUpstream.start();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterEach
  void stop() {
    http.close();
    stub.close();
  }

  HttpResponse<byte[]> post(String body) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/chat/completions"))
            .header("authorization", "Bearer k-1")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void recordsRequestsAndAnswersInOrderThenWithTheHandler() throws Exception {
    stub.enqueue(Response.json(201, "{\"first\": true}"), Response.json(202, "{}"));
    stub.handler(r -> Response.json(203, "{\"path\": \"" + r.path() + "\"}"));

    assertThat(post("{\"n\": 1}").statusCode()).isEqualTo(201);
    assertThat(post("{\"n\": 2}").statusCode()).isEqualTo(202);
    var third = post("{\"n\": 3}");
    assertThat(third.statusCode()).isEqualTo(203);
    assertThat(new String(third.body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"path\": \"/v1/chat/completions\"}");

    var recorded = stub.requests();
    assertThat(recorded).hasSize(3);
    assertThat(recorded.get(0).method()).isEqualTo("POST");
    assertThat(recorded.get(0).header("Authorization")).isEqualTo("Bearer k-1");
    assertThat(recorded.get(2).json().path("n").asInt()).isEqualTo(3);
    // One keep-alive connection carried all three.
    assertThat(stub.connectionCount()).isEqualTo(1);
    assertThat(recorded).extracting(StubUpstream.Recorded::connection).containsOnly(1);
  }

  @Test
  void streamsTheFragmentsByteForByteChunkedAndKeepsTheConnection() throws Exception {
    byte[] all = ChatStream.of("m").role().content("Grüße 🙂").finish("stop").done().bytes();
    stub.enqueue(Response.pieces(all, 3), Response.json(200, "{}"));

    var r = post("{}");
    assertThat(r.headers().firstValue("transfer-encoding")).contains("chunked");
    assertThat(r.headers().firstValue("content-type")).contains("text/event-stream");
    assertThat(r.body()).isEqualTo(all);
    assertThat(post("{}").statusCode()).isEqualTo(200);
    assertThat(stub.connectionCount()).isEqualTo(1);
  }

  @Test
  void aCloseDelimitedStreamHasNoLengthAndEndsWithTheConnection() throws Exception {
    stub.enqueue(Response.sse("data: a\n\n", "data: b\n\n").closeDelimited());

    var r = post("{}");
    assertThat(r.headers().firstValue("content-length")).isEmpty();
    assertThat(r.headers().firstValue("transfer-encoding")).isEmpty();
    assertThat(r.headers().firstValue("connection")).contains("close");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("data: a\n\ndata: b\n\n");
  }

  @Test
  void aCutOffChunkedStreamFailsTheReader() throws Exception {
    stub.enqueue(Response.sse("data: a\n\n").thenCutOffAfter(20));
    var r =
        http.send(
            HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/x"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = r.body()) {
      byte[] first = in.readNBytes(9);
      assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("data: a\n\n");
      assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }
  }

  @Test
  void aResetFailsTheRequest() {
    stub.enqueue(Response.reset());
    assertThatThrownBy(() -> post("{}")).isInstanceOf(IOException.class);
    assertThat(stub.requests()).hasSize(1);
  }

  @Test
  void aHangNeverAnswersAndNoticesWhenTheClientLeaves() {
    stub.enqueue(Response.hang());
    var req =
        HttpRequest.newBuilder(URI.create(stub.baseUrl() + "/x"))
            .timeout(Duration.ofMillis(200))
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build();
    long sent = System.nanoTime();
    assertThatThrownBy(() -> http.send(req, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);
    var request = stub.onlyRequest();
    assertThat(request.awaitClientGone(Duration.ofSeconds(3))).isPositive();
    // Noticed when the client gave up (its 200 ms run from before the send), not before. Measured
    // from the send, not from the stub's receipt, which a loaded machine can delay.
    long gone = request.clientGone().join();
    assertThat(Duration.ofNanos(gone - sent)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
  }
}

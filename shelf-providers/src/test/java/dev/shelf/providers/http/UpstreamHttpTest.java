package dev.shelf.providers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shared upstream plumbing against a loopback server: targets, headers, failures. */
class UpstreamHttpTest {
  /** What the server saw: target, then the headers the test asks about. */
  private record Seen(String target, String accept, String requestId, String auth, String body) {}

  private HttpServer server;
  private final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
  private volatile int status = 200;
  private volatile byte[] reply = "{}".getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          var h = exchange.getRequestHeaders();
          seen.add(
              new Seen(
                  exchange.getRequestURI().getRawPath()
                      + (exchange.getRequestURI().getRawQuery() == null
                          ? ""
                          : "?" + exchange.getRequestURI().getRawQuery()),
                  String.valueOf(h.getFirst("Accept")),
                  String.valueOf(h.getFirst("X-Request-Id")),
                  String.valueOf(h.getFirst("Authorization")),
                  new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.getResponseHeaders().add("Retry-After", "3");
          exchange.sendResponseHeaders(status, reply.length);
          exchange.getResponseBody().write(reply);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private static final UpstreamHttp.ErrorMapper NEVER =
      (provider, status, headers, body) -> {
        throw new AssertionError("no error expected, got " + status);
      };

  private UpstreamHttp upstream(String baseUrl, UpstreamHttp.ErrorMapper errors) {
    return new UpstreamHttp(
        "acme", baseUrl, Map.of("Authorization", "Bearer k"), Duration.ofSeconds(2), errors);
  }

  private Seen take() throws InterruptedException {
    Seen s = seen.poll(5, TimeUnit.SECONDS);
    assertThat(s).as("a request arrived").isNotNull();
    return s;
  }

  @ParameterizedTest
  @CsvSource({
    "'', '', /chat/completions",
    "/, '', /chat/completions",
    "/v1, /v1, /v1/chat/completions",
    "/v1/, /v1, /v1/chat/completions",
    "/openai/v1?api-version=2024-10-21, /openai/v1, /openai/v1/chat/completions?api-version=2024-10-21",
    "/v1/?a=b, /v1, /v1/chat/completions?a=b"
  })
  void theBaseUrlPrefixesEveryTarget(String suffix, String basePath, String target)
      throws Exception {
    try (var http = upstream(origin() + suffix, NEVER)) {
      assertThat(http.basePath()).isEqualTo(basePath);
      assertThat(http.target("/chat/completions")).isEqualTo(target);
      try (var opened = http.post("/chat/completions", new byte[] {'{', '}'}, call(), false)) {
        assertThat(opened.contentType()).isEqualTo("application/json");
        assertThat(opened.body().readAllBytes()).isEqualTo(reply);
      }
      assertThat(take().target()).isEqualTo(target);
    }
  }

  @Test
  void fixedHeadersGoOnEveryRequestAndConnectionsAreReused() throws Exception {
    try (var http = upstream(origin(), NEVER)) {
      for (boolean streaming : new boolean[] {true, false}) {
        try (var opened =
            http.post("/x", "{\"a\":1}".getBytes(StandardCharsets.UTF_8), call(), streaming)) {
          opened.body().readAllBytes();
        }
        Seen s = take();
        assertThat(s.accept()).isEqualTo(streaming ? "text/event-stream" : "application/json");
        assertThat(s.requestId()).isEqualTo("req-1");
        assertThat(s.auth()).isEqualTo("Bearer k");
        assertThat(s.body()).isEqualTo("{\"a\":1}");
      }
      assertThat(http.connectionsOpened()).isEqualTo(1);
    }
  }

  @Test
  void aStreamWhoseEndChunkIsLateKeepsItsConnectionWhenFinished() throws Exception {
    byte[] events = "data: {}\n\ndata: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    server.createContext(
        "/late",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
          exchange.sendResponseHeaders(200, 0); // chunked
          exchange.getResponseBody().write(events);
          exchange.getResponseBody().flush();
          try {
            Thread.sleep(40); // the terminating chunk comes a moment after [DONE]
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.close();
        });
    try (var http = upstream(origin(), NEVER)) {
      for (int i = 0; i < 5; i++) {
        try (var opened = http.post("/late", new byte[0], call(), true)) {
          assertThat(opened.body().readNBytes(events.length)).isEqualTo(events);
          opened.finish();
        }
      }
      assertThat(http.connectionsOpened()).isEqualTo(1);
    }
  }

  @Test
  void nonTwoHundredsGoToTheErrorMapperWithABoundedBody() {
    status = 503;
    reply = new byte[UpstreamHttp.MAX_ERROR_BODY + 1000];
    Arrays.fill(reply, (byte) 'x');
    var got = new AtomicReference<String>();
    UpstreamHttp.ErrorMapper mapper =
        (provider, status, headers, body) -> {
          got.set(provider + " " + status + " " + headers.get("retry-after") + " " + body.length);
          return new ProviderException(Kind.UNAVAILABLE, "mapped");
        };
    try (var http = upstream(origin(), mapper)) {
      assertThatThrownBy(() -> http.post("/x", new byte[0], call(), true))
          .isInstanceOf(ProviderException.class)
          .hasMessage("mapped");
    }
    assertThat(got.get()).isEqualTo("acme 503 3 " + UpstreamHttp.MAX_ERROR_BODY);
  }

  @Test
  void refusedConnectionsAreConnectFailures() throws IOException {
    int port;
    try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (var http = upstream("http://127.0.0.1:" + port + "/v1", NEVER)) {
      assertThatThrownBy(() -> http.post("/x", new byte[0], call(), true))
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONNECT))
          .hasMessage("could not connect to acme");
    }
  }

  @Test
  void readFailuresBreakTheStreamUnlessTheCallWasAborted() {
    try (var http = upstream(origin(), NEVER)) {
      ProviderException broken = http.readFailure(new IOException("reset"), call());
      assertThat(broken.kind()).isEqualTo(Kind.BROKEN_STREAM);
      assertThat(broken).hasMessage("the stream from acme broke off");

      Call aborted = call();
      aborted.abort(Kind.TIMEOUT);
      aborted.finish(); // clears the interrupt abort() left on this thread
      ProviderException timedOut = http.readFailure(new IOException("closed"), aborted);
      assertThat(timedOut.kind()).isEqualTo(Kind.TIMEOUT);
      assertThat(timedOut).hasMessage("acme stream timed out");
    }
  }

  @Test
  void aBaseUrlThatIsNoUrlIsRefused() {
    assertThatThrownBy(() -> upstream("http://exa mple.com", NEVER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("base_url is not a URL: http://exa mple.com");
    assertThatThrownBy(() -> upstream("ftp://example.com", NEVER))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static Call call() {
    return Call.unbounded("req-1");
  }
}

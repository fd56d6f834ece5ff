package dev.shelf.providers.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.Json;
import dev.shelf.providers.anthropic.internal.MessagesRequest;
import dev.shelf.providers.anthropic.internal.StreamTranslator;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import dev.shelf.providers.sse.SseReader;
import dev.shelf.providers.testing.LoopbackStub;
import dev.shelf.providers.testing.LoopbackStub.Reply;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The provider end to end against {@link LoopbackStub} on loopback: what goes over the wire
 * (headers, path, body), the recorded streams coming back, and HTTP errors mapped.
 */
class AnthropicProviderTest {
  private static final String KEY = "sk-ant-api03-test-key-0123456789";
  private static final long T = 1_700_000_000L;
  private static final String HELLO =
      "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private LoopbackStub stub;
  private Provider provider;

  @BeforeEach
  void start() throws IOException {
    stub = new LoopbackStub(Map.of("request-id", "req_stub"));
    provider =
        create(
            stub.root(), Map.of("default_max_tokens", 1000, "anthropic_beta", List.of("b1", "b2")));
  }

  @AfterEach
  void stop() throws IOException {
    provider.close();
    stub.close();
  }

  private static Provider create(String baseUrl, Map<String, Object> options) {
    return new AnthropicProviderFactory()
        .create(
            new ProviderSpec(
                "claude",
                "anthropic",
                null,
                baseUrl,
                KEY,
                Map.of("x-extra", "1"),
                Duration.ofSeconds(2),
                options));
  }

  private static ChatRequest request(String json) {
    return ChatRequestCodec.read(Json.parse(json.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = AnthropicProviderTest.class.getResourceAsStream("/anthropic/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing /anthropic/" + name);
      }
      return in.readAllBytes();
    }
  }

  /** What the translator gives for a transcript read straight from the file. */
  private static List<ChatChunk> expected(byte[] sse) throws IOException {
    var t = new StreamTranslator("claude", T, false);
    var out = new ArrayList<ChatChunk>();
    var reader = new SseReader(new ByteArrayInputStream(sse));
    SseReader.Event e;
    while ((e = reader.next()) != null) {
      out.addAll(t.onEvent(e.event(), Json.MAPPER.readTree(e.bytes())));
    }
    out.addAll(t.end());
    return out;
  }

  /** Runs a chat; chunks get a fixed {@code created} so they compare with {@link #expected}. */
  private List<ChatChunk> chat(ChatRequest r, List<ChatChunk> into) {
    provider.chat(
        r,
        Call.unbounded("req-1"),
        c -> into.add(new ChatChunk(c.id(), T, c.model(), null, c.choices(), c.usage())));
    return into;
  }

  @Test
  void sendsTheTranslatedRequestWithAnthropicsHeaders() throws Exception {
    stub.enqueue(Reply.sse(resource("text.sse")));
    ChatRequest r = request(HELLO);
    chat(r, new ArrayList<>());

    LoopbackStub.Request seen = stub.takeRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.target()).isEqualTo("/v1/messages");
    assertThat(seen.headers())
        .containsEntry("x-api-key", KEY)
        .containsEntry("anthropic-version", "2023-06-01")
        .containsEntry("anthropic-beta", "b1,b2")
        .containsEntry("content-type", "application/json")
        .containsEntry("accept", "text/event-stream")
        .containsEntry("x-extra", "1")
        .doesNotContainKey("authorization");
    JsonNode body = Json.parse(seen.body());
    assertThat(body).isEqualTo(MessagesRequest.toMessagesRequest(r, 1000).body());
    assertThat(body.get("stream").asBoolean()).isTrue();
    assertThat(body.get("max_tokens").asInt()).as("options.default_max_tokens").isEqualTo(1000);
  }

  @ParameterizedTest
  @ValueSource(strings = {"text.sse", "thinking.sse", "parallel_tools.sse", "max_tokens.sse"})
  void streamsEachRecordedTranscript(String transcript) throws Exception {
    byte[] sse = resource(transcript);
    stub.enqueue(Reply.sse(sse));
    List<ChatChunk> chunks = chat(request(HELLO), new ArrayList<>());
    assertThat(chunks).isEqualTo(expected(sse));
    var agg = new ChatAggregator();
    chunks.forEach(agg);
    assertThat(agg.usage()).isNotNull();
  }

  @Test
  void consecutiveCallsReuseTheConnectionAndAllSucceed() throws Exception {
    for (int i = 0; i < 3; i++) {
      stub.enqueue(Reply.sse(resource("text.sse")));
      var agg = new ChatAggregator();
      provider.chat(request(HELLO), Call.unbounded("r" + i), agg::accept);
      assertThat(agg.result().choices().getFirst().message().text())
          .isEqualTo("Hello! How can I help you today?");
    }
  }

  @Test
  void anErrorEventMidStreamFailsAfterTheChunksSoFar() throws Exception {
    stub.enqueue(Reply.sse(resource("error_midstream.sse")));
    var seen = new ArrayList<ChatChunk>();
    assertThatThrownBy(() -> chat(request(HELLO), seen))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
              assertThat(e.retryable()).isTrue();
            });
    assertThat(seen).hasSize(2);
    assertThat(seen.get(1).choices().getFirst().delta().content()).isEqualTo("Once upon");
  }

  @Test
  void aStreamThatStopsShortIsBroken() throws Exception {
    String text = new String(resource("text.sse"), StandardCharsets.UTF_8);
    String cut = text.substring(0, text.indexOf("event: message_delta"));
    stub.enqueue(Reply.sse(cut.getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> chat(request(HELLO), new ArrayList<>()))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BROKEN_STREAM));
  }

  private ProviderException failWith(
      int status, String type, String message, Map<String, String> h) {
    stub.enqueue(
        Reply.json(
            status,
            "{\"type\":\"error\",\"error\":{\"type\":\""
                + type
                + "\",\"message\":\""
                + message
                + "\"},\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}",
            h));
    try {
      chat(request(HELLO), new ArrayList<>());
    } catch (ProviderException e) {
      assertThat(e.getMessage()).doesNotContain(KEY);
      assertThat(e.upstreamStatus()).isEqualTo(status);
      return e;
    }
    throw new AssertionError("expected a failure for " + status);
  }

  @Test
  void httpErrorsAreMapped() {
    ProviderException bad =
        failWith(400, "invalid_request_error", "max_tokens: Field required", Map.of());
    assertThat(bad.kind()).isEqualTo(Kind.BAD_REQUEST);
    assertThat(bad.getMessage()).isEqualTo("max_tokens: Field required");

    ProviderException ctx =
        failWith(
            400,
            "invalid_request_error",
            "prompt is too long: 208310 tokens > 200000 maximum",
            Map.of());
    assertThat(ctx.kind()).isEqualTo(Kind.CONTEXT_LENGTH);

    ProviderException auth =
        failWith(401, "authentication_error", "invalid x-api-key " + KEY, Map.of());
    assertThat(auth.kind()).isEqualTo(Kind.AUTH);
    assertThat(auth.retryable()).isFalse();

    ProviderException rate =
        failWith(
            429, "rate_limit_error", "Number of requests exceeded", Map.of("retry-after", "3"));
    assertThat(rate.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(rate.retryAfterMillis()).isEqualTo(3000L);

    ProviderException overloaded = failWith(529, "overloaded_error", "Overloaded", Map.of());
    assertThat(overloaded.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(overloaded.retryable()).isTrue();

    ProviderException server = failWith(500, "api_error", "Internal server error", Map.of());
    assertThat(server.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(server.retryable()).isTrue();
  }

  @Test
  void aBaseUrlEndingInV1IsNotDoubled() throws Exception {
    try (Provider p = create(stub.root() + "/v1/", Map.of())) {
      stub.enqueue(Reply.sse(resource("text.sse")));
      p.chat(request(HELLO), Call.unbounded("r"), c -> {});
      LoopbackStub.Request seen = stub.takeRequest();
      assertThat(seen.target()).isEqualTo("/v1/messages");
      assertThat(seen.headers()).doesNotContainKey("anthropic-beta");
      assertThat(Json.parse(seen.body()).get("max_tokens").asInt()).isEqualTo(4096);
    }
  }

  @Test
  void embeddingsAndLegacyCompletionsAreUnsupported() {
    var embed =
        EmbeddingRequest.read(
            Json.parse("{\"model\":\"m\",\"input\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> provider.embed(embed, Call.unbounded("r")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
              assertThat(e.code()).isEqualTo("unsupported_endpoint");
            });
    CompletionRequest completion =
        CompletionRequest.read(
            Json.parse("{\"model\":\"m\",\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> provider.completion(completion, Call.unbounded("r"), c -> {}))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.code()).isEqualTo("unsupported_endpoint"));
  }

  @Test
  void theFactoryIsFoundByServiceLoader() {
    assertThat(ServiceLoader.load(ProviderFactory.class).stream().map(f -> f.get().type()))
        .contains("anthropic");
  }

  @Test
  void configurationErrorsNameTheSetting() {
    var factory = new AnthropicProviderFactory();
    assertThatThrownBy(
            () ->
                factory.create(
                    new ProviderSpec(
                        "claude",
                        "anthropic",
                        null,
                        null,
                        null,
                        Map.of(),
                        Duration.ofSeconds(1),
                        Map.of())))
        .hasMessage("needs api_key (usually ${ANTHROPIC_API_KEY})");
    assertThatThrownBy(() -> create(stub.root(), Map.of("default_max_tokens", -3)))
        .hasMessage("options.default_max_tokens must be >= 1 but was -3");
    assertThatThrownBy(() -> create(stub.root(), Map.of("default_max_tokens", "lots")))
        .hasMessage("options.default_max_tokens must be an integer but was 'lots'");
    assertThatThrownBy(() -> create(stub.root(), Map.of("max_tokens", 5)))
        .hasMessage(
            "unknown option 'max_tokens'; known options: anthropic_beta, anthropic_version,"
                + " default_max_tokens");
    assertThatThrownBy(() -> create("ftp://x", Map.of()))
        .hasMessage("base_url must start with http:// or https:// but was 'ftp://x'");
    assertThat(AnthropicOptions.from(Map.of("default_max_tokens", "2048")).defaultMaxTokens())
        .isEqualTo(2048);
  }
}

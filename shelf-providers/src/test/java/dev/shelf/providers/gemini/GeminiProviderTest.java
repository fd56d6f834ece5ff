package dev.shelf.providers.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage.ToolCall;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.providers.gemini.internal.GenerateContentRequest;
import dev.shelf.providers.gemini.internal.StreamTranslator;
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
import java.util.Objects;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The provider end to end against {@link LoopbackStub} on loopback: what goes over the wire (the
 * {@code x-goog-api-key} header, the {@code :streamGenerateContent?alt=sse} path, the body), the
 * transcripts coming back, HTTP errors mapped, and embeddings.
 */
class GeminiProviderTest {
  private static final String KEY = "AIzaSyD3xAmPlEkEy0123456789abcdefghijkl";
  private static final long T = 1_700_000_000L;
  private static final String HELLO =
      "{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
  private static final String STREAM_PATH =
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";

  private LoopbackStub stub;
  private Provider provider;

  @BeforeEach
  void start() throws IOException {
    stub = new LoopbackStub(Map.of("server", "scaffolding on HTTPServer2"));
    provider = create(stub.root(), Map.of());
  }

  @AfterEach
  void stop() throws IOException {
    provider.close();
    stub.close();
  }

  private static Provider create(String baseUrl, Map<String, Object> options) {
    return new GeminiProviderFactory()
        .create(
            new ProviderSpec(
                "gemini",
                "gemini",
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
    try (InputStream in = GeminiProviderTest.class.getResourceAsStream("/gemini/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing /gemini/" + name);
      }
      return in.readAllBytes();
    }
  }

  /** The call-id prefix the provider derives from the request id {@code req-1}. */
  private static String prefix() {
    return "call_" + String.format("%08x", "req-1".hashCode()) + "_";
  }

  /** What the translator gives for a transcript read straight from the file. */
  private static List<ChatChunk> expected(byte[] sse) throws IOException {
    var t = new StreamTranslator("gemini", T, "gemini-2.5-flash", prefix());
    var out = new ArrayList<ChatChunk>();
    var reader = new SseReader(new ByteArrayInputStream(sse));
    SseReader.Event e;
    while ((e = reader.next()) != null) {
      out.addAll(t.onEvent(Json.MAPPER.readTree(e.bytes())));
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
  void sendsTheTranslatedRequestWithTheKeyInAHeader() throws Exception {
    stub.enqueue(Reply.sse(resource("text.sse")));
    ChatRequest r = request(HELLO);
    chat(r, new ArrayList<>());

    LoopbackStub.Request seen = stub.takeRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.target()).isEqualTo(STREAM_PATH).doesNotContain(KEY);
    assertThat(seen.headers())
        .containsEntry("x-goog-api-key", KEY)
        .containsEntry("content-type", "application/json")
        .containsEntry("accept", "text/event-stream")
        .containsEntry("x-extra", "1")
        .doesNotContainKey("authorization");
    assertThat(Json.parse(seen.body()))
        .isEqualTo(GenerateContentRequest.toGenerateContent(r, null));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"text.sse", "thinking.sse", "parallel_tools.sse", "safety.sse", "max_tokens.sse"})
  void streamsEachTranscript(String transcript) throws Exception {
    byte[] sse = resource(transcript);
    stub.enqueue(Reply.sse(sse));
    List<ChatChunk> chunks = chat(request(HELLO), new ArrayList<>());
    assertThat(chunks).isEqualTo(expected(sse));
    var agg = new ChatAggregator();
    chunks.forEach(agg);
    assertThat(agg.usage()).isNotNull();
  }

  @Test
  void aToolRoundTripSendsTheResultsBackUnderTheCalledNames() throws Exception {
    stub.enqueue(Reply.sse(resource("parallel_tools.sse")));
    var agg = new ChatAggregator();
    provider.chat(request(HELLO), Call.unbounded("req-1"), agg::accept);
    List<ToolCall> calls =
        Objects.requireNonNull(agg.result().choices().getFirst().message().toolCalls());
    assertThat(calls).extracting(ToolCall::id).containsExactly(prefix() + "0", prefix() + "1");
    stub.takeRequest();

    var next = new StringBuilder("{\"model\":\"gemini-2.5-flash\",\"messages\":[");
    next.append("{\"role\":\"user\",\"content\":\"Weather?\"},");
    next.append("{\"role\":\"assistant\",\"tool_calls\":[");
    for (int i = 0; i < calls.size(); i++) {
      ToolCall c = calls.get(i);
      next.append(i == 0 ? "" : ",")
          .append("{\"id\":\"")
          .append(c.id())
          .append("\",\"type\":\"function\",\"function\":{\"name\":\"")
          .append(c.name())
          .append("\",\"arguments\":")
          .append(Json.string(Json.NODES.textNode(c.arguments())))
          .append("}}");
    }
    next.append("]},{\"role\":\"tool\",\"tool_call_id\":\"")
        .append(calls.get(0).id())
        .append("\",\"content\":\"18C\"},{\"role\":\"tool\",\"tool_call_id\":\"")
        .append(calls.get(1).id())
        .append("\",\"content\":\"{\\\"temp\\\":21}\"}]}");
    stub.enqueue(Reply.sse(resource("text.sse")));
    chat(request(next.toString()), new ArrayList<>());
    JsonNode sent = Json.parse(stub.takeRequest().body());
    JsonNode model = sent.path("contents").get(1);
    assertThat(model.path("role").asText()).isEqualTo("model");
    assertThat(
            model.path("parts").get(1).path("functionCall").path("args").path("location").asText())
        .isEqualTo("Paris, France");
    JsonNode results = sent.path("contents").get(2).path("parts");
    assertThat(results.get(0).path("functionResponse").path("name").asText())
        .isEqualTo("get_weather");
    assertThat(results.get(0).path("functionResponse").path("response").path("result").asText())
        .isEqualTo("18C");
    assertThat(
            results
                .get(1)
                .path("functionResponse")
                .path("response")
                .path("result")
                .path("temp")
                .asInt())
        .isEqualTo(21);
  }

  @Test
  void anErrorMidStreamFailsAfterTheChunksSoFar() throws Exception {
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
  }

  @Test
  void aBlockedPromptIsAContentFilterFailure() throws Exception {
    stub.enqueue(Reply.sse(resource("prompt_blocked.sse")));
    assertThatThrownBy(() -> chat(request(HELLO), new ArrayList<>()))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.CONTENT_FILTER));
  }

  @ParameterizedTest
  @CsvSource({
    "400, INVALID_ARGUMENT, BAD_REQUEST",
    "403, PERMISSION_DENIED, AUTH",
    "404, NOT_FOUND, NOT_FOUND",
    "429, RESOURCE_EXHAUSTED, RATE_LIMITED",
    "500, INTERNAL, UNAVAILABLE",
    "503, UNAVAILABLE, UNAVAILABLE",
  })
  void httpErrorsAreMapped(int status, String code, Kind kind) {
    stub.enqueue(
        Reply.json(
            status,
            "{\n  \"error\": {\n    \"code\": "
                + status
                + ",\n    \"message\": \"Request with key "
                + KEY
                + " failed\",\n    \"status\": \""
                + code
                + "\"\n  }\n}\n",
            status == 429 ? Map.of("retry-after", "7") : Map.of()));
    try {
      chat(request(HELLO), new ArrayList<>());
    } catch (ProviderException e) {
      assertThat(e.kind()).isEqualTo(kind);
      assertThat(e.upstreamStatus()).isEqualTo(status);
      assertThat(e.getMessage()).doesNotContain(KEY);
      if (status == 429) {
        assertThat(e.retryAfterMillis()).isEqualTo(7000L);
      }
      return;
    }
    throw new AssertionError("expected a failure for " + status);
  }

  @Test
  void embeddingsGoToBatchEmbedContents() throws Exception {
    stub.enqueue(
        Reply.json(
            200,
            "{\n  \"embeddings\": [\n    {\n      \"values\": [0.25, -1.5]\n    },\n"
                + "    {\n      \"values\": [1, 0.5]\n    }\n  ]\n}\n",
            Map.of()));
    var r =
        EmbeddingRequest.read(
            Json.parse(
                "{\"model\":\"text-embedding-004\",\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\"}"
                    .getBytes(StandardCharsets.UTF_8)));
    EmbeddingResponse out = provider.embed(r, Call.unbounded("e"));
    LoopbackStub.Request seen = stub.takeRequest();
    assertThat(seen.target()).isEqualTo("/v1beta/models/text-embedding-004:batchEmbedContents");
    assertThat(seen.headers()).containsEntry("x-goog-api-key", KEY);
    assertThat(Json.parse(seen.body()).path("requests").size()).isEqualTo(2);
    assertThat(out.data()).hasSize(2);
    assertThat(out.data().get(0).embedding().asText())
        .as("0.25f and -1.5f as little-endian float32")
        .isEqualTo("AACAPgAAwL8=");
    assertThat(out.promptTokens()).isZero();
  }

  @Test
  void legacyCompletionsAreUnsupported() {
    CompletionRequest completion =
        CompletionRequest.read(
            Json.parse("{\"model\":\"m\",\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> provider.completion(completion, Call.unbounded("r"), c -> {}))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
              assertThat(e.code()).isEqualTo("unsupported_endpoint");
            });
  }

  @Test
  void aBaseUrlWithAVersionIsNotDoubledAndOptionsApply() throws Exception {
    try (Provider p =
        create(
            stub.root() + "/v1/",
            Map.of(
                "safety_settings",
                List.of(Map.of("category", "HARM_CATEGORY_HARASSMENT", "threshold", "OFF"))))) {
      stub.enqueue(Reply.sse(resource("text.sse")));
      p.chat(request(HELLO), Call.unbounded("r"), c -> {});
      LoopbackStub.Request seen = stub.takeRequest();
      assertThat(seen.target())
          .isEqualTo("/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
      assertThat(Json.parse(seen.body()).path("safetySettings").get(0).path("threshold").asText())
          .isEqualTo("OFF");
    }
  }

  @Test
  void theFactoryIsFoundByServiceLoader() {
    assertThat(ServiceLoader.load(ProviderFactory.class).stream().map(f -> f.get().type()))
        .contains("gemini");
  }

  @Test
  void configurationErrorsNameTheSetting() {
    var factory = new GeminiProviderFactory();
    assertThatThrownBy(
            () ->
                factory.create(
                    new ProviderSpec(
                        "gemini",
                        "gemini",
                        null,
                        null,
                        null,
                        Map.of(),
                        Duration.ofSeconds(1),
                        Map.of())))
        .hasMessage("needs api_key (usually ${GEMINI_API_KEY})");
    assertThatThrownBy(() -> create(stub.root(), Map.of("api_version", "beta")))
        .hasMessage("options.api_version must look like v1beta or v1 but was 'beta'");
    assertThatThrownBy(() -> create(stub.root(), Map.of("safety", 1)))
        .hasMessage("unknown option 'safety'; known options: api_version, safety_settings");
    assertThatThrownBy(() -> create(stub.root(), Map.of("safety_settings", "none")))
        .hasMessage("options.safety_settings must be a list of {category, threshold} but was none");
    assertThatThrownBy(() -> create("ftp://x", Map.of()))
        .hasMessage("base_url must start with http:// or https:// but was 'ftp://x'");
    assertThatThrownBy(() -> create(stub.root() + "?key=1", Map.of()))
        .hasMessageStartingWith("base_url must not have a query");
  }
}

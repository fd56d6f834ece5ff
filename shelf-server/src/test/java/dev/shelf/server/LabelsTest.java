package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.http.HttpResponseFor;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.shelf.api.Json;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.SecretBox;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.guard.label.AigcLabel;
import dev.shelf.guard.label.ExplicitLabel;
import dev.shelf.guard.label.LabelSigner;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AIGC labels (GB 45438-2025) on every generating endpoint, streaming and not, as the official SDKs
 * and a raw client see them; and their verification, which accepts the text as received and nothing
 * else.
 */
class LabelsTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final String PLAIN = "sk-plain-key-0123456789";
  static final String PRODUCER = "某公司 Shelf";
  static final String NOTICE = ExplicitLabel.DEFAULT_TEXT;

  static StubUpstream stub;
  static ShelfHarness shelf;
  static ShelfHarness atEnd;
  static ShelfHarness atStart;
  static ShelfHarness off;

  static String yaml(String labels) {
    return """
        server: {port: 0, access_log: false}
        auth:
          master_key: %s
          keys: [{name: plain, key: %s}]
        resilience: {max_attempts: 1}
        providers:
          up: {type: openai, base_url: %s}
        models:
          - {id: m, provider: up, upstream: up-model}
          - {id: emb, provider: up, upstream: up-emb, capabilities: [embedding], \
        modalities: {output: [embedding]}}
        labels: %s
        """
        .formatted(MASTER, PLAIN, stub.baseUrl(), labels);
  }

  @BeforeAll
  static void start() {
    stub = StubUpstream.start();
    shelf = ShelfHarness.start(yaml("{producer: " + PRODUCER + "}"));
    atEnd = ShelfHarness.start(yaml("{explicit: {position: end}}"));
    atStart = ShelfHarness.start(yaml("{explicit: {position: start}}"));
    off = ShelfHarness.start(yaml("{enabled: false, explicit: {position: end}}"));
  }

  @AfterAll
  static void stop() {
    shelf.close();
    atEnd.close();
    atStart.close();
    off.close();
    stub.close();
  }

  @BeforeEach
  void reset() {
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

  static final String HELLO = "Hello, wörld! 你好";

  static ChatCompletionCreateParams ask() {
    return ChatCompletionCreateParams.builder().model("m").addUserMessage("Say hello").build();
  }

  static String auth() {
    return "Bearer " + MASTER;
  }

  /** The verify endpoint's answer for a text and a label (a JSON node or header text). */
  static JsonNode verify(ShelfHarness on, String text, JsonNode label) {
    ObjectNode body = Json.object();
    body.put("text", text);
    body.set("label", label);
    var r = on.post("/admin/v1/labels/verify", Json.string(body), "authorization", auth());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  static String verdict(ShelfHarness on, String text, JsonNode label) {
    return verify(on, text, label).path("verdict").asText();
  }

  /** The header's label, checked for shape: ASCII, the standard's fields, ours. */
  static AigcLabel header(@Nullable String value, @Nullable String requestId) {
    assertThat(value).as("x-aigc-label").isNotNull();
    String v = java.util.Objects.requireNonNull(value);
    assertThat(v.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
    AigcLabel l = AigcLabel.parse(v);
    assertThat(v).startsWith("{\"AIGC\":{\"Label\":\"1\",");
    assertThat(l.produceId()).isEqualTo(requestId).isNotEmpty();
    return l;
  }

  static Sse sse(ShelfHarness on, String path, String body) {
    var r = on.post(path, body, "authorization", auth());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return new Sse(r);
  }

  /** An OpenAI event stream as received. */
  record Sse(ShelfHarness.Raw raw) {
    @Nullable String header(String name) {
      return raw.header(name);
    }

    /** The JSON events, [DONE] left out. */
    List<JsonNode> json() {
      return raw.events().stream().filter(e -> !e.equals("[DONE]")).map(LabelsTest::tree).toList();
    }

    boolean done() {
      return raw.events().getLast().equals("[DONE]");
    }

    /** The content of choice 0, deltas joined. */
    String content() {
      var sb = new StringBuilder();
      json().forEach(e -> sb.append(e.at("/choices/0/delta/content").asText("")));
      return sb.toString();
    }
  }

  static JsonNode tree(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  // ------------------------------------------------------------------------------ chat

  @Test
  void aChatCompletionCarriesTheSignedLabelInHeaderAndBody() {
    stub.enqueue(hello().response());

    ChatCompletion c;
    String id;
    String value;
    try (HttpResponseFor<ChatCompletion> raw =
        shelf.sdk(MASTER).chat().completions().withRawResponse().create(ask())) {
      c = raw.parse(); // the validating SDK accepts the extra top-level field
      id = raw.headers().values("x-request-id").getFirst();
      value = raw.headers().values("x-aigc-label").getFirst();
    }

    assertThat(c.choices().getFirst().message().content()).contains(HELLO);
    AigcLabel h = header(value, id);
    assertThat(h.contentProducer()).isEqualTo(PRODUCER);
    assertThat(h.label()).isEqualTo("1");
    JsonNode aigc = Json.MAPPER.valueToTree(c._additionalProperties().get("aigc"));
    assertThat(AigcLabel.parse(Json.string(aigc))).isEqualTo(h);
    assertThat(aigc.path("ReservedCode1").asText()).matches("shelf1\\.[\\w-]{22}\\.[\\w-]{43}");

    JsonNode ok = verify(shelf, HELLO, aigc);
    assertThat(ok.path("valid").asBoolean()).isTrue();
    assertThat(ok.path("verdict").asText()).isEqualTo("valid");
    assertThat(ok.path("produce_id").asText()).isEqualTo(id);
    // the header value verifies as well, as text
    assertThat(verdict(shelf, HELLO, Json.MAPPER.getNodeFactory().textNode(h.headerValue())))
        .isEqualTo("valid");

    JsonNode bad = verify(shelf, HELLO.replace("wörld", "world"), aigc);
    assertThat(bad.path("valid").asBoolean()).isFalse();
    assertThat(bad.path("verdict").asText()).isEqualTo("tampered");
    assertThat(verdict(shelf, HELLO + " ", aigc)).isEqualTo("tampered");
  }

  @ParameterizedTest(name = "include_usage={0}")
  @ValueSource(booleans = {true, false})
  void aChatStreamEndsWithTheSignedLabelOnItsLastEvent(boolean includeUsage) {
    stub.enqueue(hello().response());

    var s =
        sse(
            shelf,
            "/v1/chat/completions",
            """
            {"model": "m", "stream": true, "stream_options": {"include_usage": %s},
             "messages": [{"role": "user", "content": "hi"}]}"""
                .formatted(includeUsage));

    // The header leaves before the text exists: ours, but it signs no text.
    AigcLabel h = header(s.header("x-aigc-label"), s.header("x-request-id"));
    assertThat(h.reservedCode1()).matches("shelf1\\.[\\w-]{22}");
    assertThat(verify(shelf, HELLO, Json.MAPPER.valueToTree(h.fields())).path("reason").asText())
        .contains("no text signature");

    List<JsonNode> events = s.json();
    JsonNode last = events.getLast();
    assertThat(s.done()).isTrue();
    if (includeUsage) {
      assertThat(last.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
      assertThat(last.path("choices")).isEmpty();
    } else {
      assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }
    assertThat(events.subList(0, events.size() - 1))
        .allSatisfy(e -> assertThat(e.has("aigc")).isFalse());
    JsonNode aigc = last.path("aigc");
    assertThat(aigc.path("ProduceID").asText()).isEqualTo(h.produceId());
    assertThat(s.content()).isEqualTo(HELLO);
    assertThat(verdict(shelf, s.content(), aigc)).isEqualTo("valid");
    assertThat(verdict(shelf, s.content().substring(1), aigc)).isEqualTo("tampered");
  }

  @Test
  void theLabelRidesOnWhateverEndsTheStream() {
    // Usage on the finishing chunk itself (no usage chunk of its own): the usage still counts.
    stub.enqueue(
        ChatStream.of("up-model")
            .content("Hi")
            .finish("stop")
            .last(o -> o.set("usage", ChatStream.usageJson(3, 1)))
            .done()
            .response());
    var s =
        sse(
            shelf,
            "/v1/chat/completions",
            """
            {"model": "m", "stream": true, "stream_options": {"include_usage": true},
             "messages": [{"role": "user", "content": "hi"}]}""");
    JsonNode last = s.json().getLast();
    assertThat(last.path("usage").path("completion_tokens").asInt()).isEqualTo(1);
    assertThat(verdict(shelf, "Hi", last.path("aigc"))).isEqualTo("valid");
    assertThat(s.json().get(s.json().size() - 2).at("/choices/0/finish_reason").asText())
        .isEqualTo("stop");

    // An upstream that never says it finished, and no usage asked for: a chunk that says nothing
    // carries the label.
    stub.enqueue(ChatStream.of("up-model").content("Hi").done().response());
    var bare =
        sse(
            shelf,
            "/v1/chat/completions",
            """
            {"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}""");
    JsonNode carrier = bare.json().getLast();
    assertThat(carrier.at("/choices/0/delta").size()).isZero();
    assertThat(verdict(shelf, "Hi", carrier.path("aigc"))).isEqualTo("valid");
  }

  @Test
  void theValidatingSdkStreamsALabelledAnswer() {
    stub.enqueue(hello().response());
    var acc = ChatCompletionAccumulator.create();
    var chunks = new ArrayList<ChatCompletionChunk>();
    try (var stream = shelf.sdk(MASTER).chat().completions().createStreaming(ask())) {
      stream.stream().forEach(c -> chunks.add(acc.accumulate(c)));
    }
    assertThat(acc.chatCompletion().choices().getFirst().message().content()).contains(HELLO);
    JsonNode aigc = Json.MAPPER.valueToTree(chunks.getLast()._additionalProperties().get("aigc"));
    assertThat(verdict(shelf, HELLO, aigc)).isEqualTo("valid");
  }

  /** An upstream chunk for choice {@code index}. */
  static ObjectNode choiceChunk(int index, @Nullable String content, @Nullable String finish) {
    ChatStream s = ChatStream.of("up-model");
    ObjectNode delta = Json.object();
    if (content != null) {
      delta.put("content", content);
    }
    ObjectNode c = s.chunk(delta, finish);
    ((ObjectNode) c.get("choices").get(0)).put("index", index);
    return c;
  }

  static ChatStream twoChoices() {
    return ChatStream.of("up-model")
        .data(choiceChunk(1, "second", null))
        .data(choiceChunk(0, "first", null))
        .data(choiceChunk(1, " two", "stop"))
        .data(choiceChunk(0, " one", "stop"))
        .done();
  }

  @Test
  void severalChoicesAreSignedConcatenatedInIndexOrder() {
    String body =
        """
        {"model": "m", "n": 2, "stream": %s, "messages": [{"role": "user", "content": "hi"}]}""";
    stub.enqueue(twoChoices().response());
    var r = shelf.post("/v1/chat/completions", body.formatted(false), "authorization", auth());
    JsonNode aigc = r.json().path("aigc");
    assertThat(verdict(shelf, "first onesecond two", aigc)).isEqualTo("valid");
    assertThat(verdict(shelf, "second twofirst one", aigc)).isEqualTo("tampered");

    stub.enqueue(twoChoices().response());
    var s = sse(shelf, "/v1/chat/completions", body.formatted(true));
    assertThat(verdict(shelf, "first onesecond two", s.json().getLast().path("aigc")))
        .isEqualTo("valid");
  }

  // ------------------------------------------------------------------------------ explicit

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void theExplicitNoticeAtTheEndIsTheLastContentDeltaAndSigned(boolean stream) {
    stub.enqueue(hello().response());
    String body =
        """
        {"model": "m", "stream": %s, "messages": [{"role": "user", "content": "hi"}]}"""
            .formatted(stream);
    String text;
    JsonNode aigc;
    if (stream) {
      var s = sse(atEnd, "/v1/chat/completions", body);
      text = s.content();
      List<JsonNode> events = s.json();
      // ..., the notice alone, then the finish with the label
      JsonNode notice = events.get(events.size() - 2);
      assertThat(notice.at("/choices/0/delta/content").asText()).isEqualTo("\n\n" + NOTICE);
      assertThat(notice.at("/choices/0/finish_reason").isNull()).isTrue();
      assertThat(events.getLast().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
      aigc = events.getLast().path("aigc");
    } else {
      var r = atEnd.post("/v1/chat/completions", body, "authorization", auth());
      text = r.json().at("/choices/0/message/content").asText();
      aigc = r.json().path("aigc");
    }
    assertThat(text).isEqualTo(HELLO + "\n\n" + NOTICE);
    assertThat(verdict(atEnd, text, aigc)).isEqualTo("valid");
    assertThat(verdict(atEnd, HELLO, aigc)).as("the notice is signed").isEqualTo("tampered");
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void theExplicitNoticeAtTheStartLeadsTheFirstContentDelta(boolean stream) {
    stub.enqueue(hello().response());
    String body =
        """
        {"model": "m", "stream": %s, "messages": [{"role": "user", "content": "hi"}]}"""
            .formatted(stream);
    String text;
    JsonNode aigc;
    if (stream) {
      var s = sse(atStart, "/v1/chat/completions", body);
      text = s.content();
      JsonNode first =
          s.json().stream()
              .filter(e -> !e.at("/choices/0/delta/content").asText("").isEmpty())
              .findFirst()
              .orElseThrow();
      assertThat(first.at("/choices/0/delta/content").asText()).isEqualTo(NOTICE + "\n\nHello");
      aigc = s.json().getLast().path("aigc");
    } else {
      var r = atStart.post("/v1/chat/completions", body, "authorization", auth());
      text = r.json().at("/choices/0/message/content").asText();
      aigc = r.json().path("aigc");
    }
    assertThat(text).isEqualTo(NOTICE + "\n\n" + HELLO);
    assertThat(verdict(atStart, text, aigc)).isEqualTo("valid");
  }

  @Test
  void theDefaultWordingIsTheLibrarys() {
    assertThat(ShelfConfig.Labels.DEFAULT_TEXT).isEqualTo(ExplicitLabel.DEFAULT_TEXT);
  }

  // ------------------------------------------------------------------------------ completions

  static ObjectNode textChunk(String text, @Nullable String finish) {
    ObjectNode c = Json.object();
    c.put("id", "cmpl-up").put("object", "text_completion").put("created", 1_750_000_000L);
    c.put("model", "up-model");
    ObjectNode ch = c.putArray("choices").addObject();
    ch.put("index", 0).put("text", text).putNull("logprobs");
    if (finish == null) {
      ch.putNull("finish_reason");
    } else {
      ch.put("finish_reason", finish);
    }
    return c;
  }

  static StubUpstream.Response legacy() {
    return ChatStream.of("up-model")
        .data(textChunk("Once upon", null))
        .data(textChunk(" a time", "length"))
        .done()
        .response();
  }

  @ParameterizedTest(name = "stream={0}")
  @ValueSource(booleans = {false, true})
  void legacyCompletionsAreLabelled(boolean stream) {
    stub.enqueue(legacy());
    String body = "{\"model\": \"m\", \"prompt\": \"Tell\", \"stream\": " + stream + "}";
    var on = atEnd;
    String expected = "Once upon a time\n\n" + NOTICE;
    if (stream) {
      var s = sse(on, "/v1/completions", body);
      header(s.header("x-aigc-label"), s.header("x-request-id"));
      var text = new StringBuilder();
      s.json().forEach(e -> text.append(e.at("/choices/0/text").asText("")));
      assertThat(text).hasToString(expected);
      JsonNode last = s.json().getLast();
      assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("length");
      assertThat(verdict(on, expected, last.path("aigc"))).isEqualTo("valid");
    } else {
      var r = on.post("/v1/completions", body, "authorization", auth());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().at("/choices/0/text").asText()).isEqualTo(expected);
      AigcLabel h = header(r.header("x-aigc-label"), r.header("x-request-id"));
      assertThat(Json.MAPPER.valueToTree(h.fields()).equals(r.json().path("aigc"))).isTrue();
      assertThat(verdict(on, expected, r.json().path("aigc"))).isEqualTo("valid");
      assertThat(verdict(on, "Once upon a time", r.json().path("aigc"))).isEqualTo("tampered");
    }
  }

  // ------------------------------------------------------------------------------ embeddings

  @Test
  void embeddingsCarryTheHeaderSignedOverTheEmptyText() {
    stub.enqueue(
        StubUpstream.Response.json(
            200,
            """
            {"object": "list", "model": "up-emb",
             "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5]}],
             "usage": {"prompt_tokens": 2, "total_tokens": 2}}"""));
    var r =
        shelf.post(
            "/v1/embeddings", "{\"model\": \"emb\", \"input\": \"hi\"}", "authorization", auth());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().has("aigc")).isFalse();
    AigcLabel h = header(r.header("x-aigc-label"), r.header("x-request-id"));
    assertThat(verdict(shelf, "", Json.MAPPER.valueToTree(h.fields()))).isEqualTo("valid");
  }

  // ------------------------------------------------------------------------------ messages

  static AnthropicClient anthropic(ShelfHarness on) {
    return AnthropicOkHttpClient.builder()
        .baseUrl("http://127.0.0.1:" + on.port())
        .apiKey(MASTER)
        .responseValidation(true)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(20))
        .build();
  }

  static MessageCreateParams message() {
    return MessageCreateParams.builder().model("m").maxTokens(64).addUserMessage("Hi").build();
  }

  @Test
  void aMessageCarriesTheSignedLabel() {
    stub.enqueue(hello().response());
    AnthropicClient client = anthropic(atEnd);
    try {
      Message m;
      AigcLabel h;
      try (var raw = client.messages().withRawResponse().create(message())) {
        m = raw.parse();
        h =
            header(
                raw.headers().values("x-aigc-label").getFirst(),
                raw.headers().values("x-request-id").getFirst());
      }
      String text = m.content().getFirst().text().orElseThrow().text();
      assertThat(text).isEqualTo(HELLO + "\n\n" + NOTICE);
      JsonNode aigc = Json.MAPPER.valueToTree(m._additionalProperties().get("aigc"));
      assertThat(AigcLabel.parse(Json.string(aigc))).isEqualTo(h);
      assertThat(verdict(atEnd, text, aigc)).isEqualTo("valid");

      stub.enqueue(hello().response());
      var acc = MessageAccumulator.create();
      var events = new ArrayList<RawMessageStreamEvent>();
      try (var stream = client.messages().createStreaming(message())) {
        stream.stream().forEach(e -> events.add(acc.accumulate(e)));
      }
      String streamed = acc.message().content().getFirst().text().orElseThrow().text();
      assertThat(streamed).isEqualTo(HELLO + "\n\n" + NOTICE);
      var stop = events.getLast().messageStop().orElseThrow();
      JsonNode signed = Json.MAPPER.valueToTree(stop._additionalProperties().get("aigc"));
      assertThat(verdict(atEnd, streamed, signed)).isEqualTo("valid");
    } finally {
      client.close();
    }
  }

  @Test
  void aMessageStreamHasTheHeaderAndEndsWithTheLabel() {
    stub.enqueue(hello().response());
    var r =
        shelf.post(
            "/v1/messages",
            "{\"model\": \"m\", \"max_tokens\": 9, \"stream\": true,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "x-api-key",
            MASTER);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    header(r.header("x-aigc-label"), r.header("x-request-id"));
    List<String> data = r.events();
    JsonNode stop = tree(data.getLast());
    assertThat(stop.path("type").asText()).isEqualTo("message_stop");
    assertThat(verdict(shelf, HELLO, stop.path("aigc"))).isEqualTo("valid");
  }

  // ------------------------------------------------------------------------------ verify

  @Test
  void verificationNeedsAnAdminKeyAndALabel() {
    String body = "{\"text\": \"x\", \"label\": {\"Label\": \"1\"}}";
    var r = shelf.post("/admin/v1/labels/verify", body, "authorization", "Bearer " + PLAIN);
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().at("/error/code").asText()).isEqualTo("admin_key_required");
    assertThat(shelf.post("/admin/v1/labels/verify", body).status()).isEqualTo(401);

    var noLabel =
        shelf.post("/admin/v1/labels/verify", "{\"text\": \"x\"}", "authorization", auth());
    assertThat(noLabel.status()).isEqualTo(400);
    assertThat(noLabel.json().at("/error/param").asText()).isEqualTo("label");
    var notJson =
        shelf.post(
            "/admin/v1/labels/verify",
            "{\"text\": \"x\", \"label\": \"{not json\"}",
            "authorization",
            auth());
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.json().at("/error/message").asText()).contains("not an AIGC label");
    var noText = shelf.post("/admin/v1/labels/verify", "{\"label\": {}}", "authorization", auth());
    assertThat(noText.json().at("/error/param").asText()).isEqualTo("text");

    assertThat(verdict(shelf, "x", Json.MAPPER.valueToTree(Map.of("Label", "1"))))
        .isEqualTo("foreign");
  }

  @Test
  void anotherShelfsLabelIsForeign() {
    stub.enqueue(hello().response());
    var r =
        atEnd.post(
            "/v1/chat/completions",
            "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "authorization",
            auth());
    String text = r.json().at("/choices/0/message/content").asText();
    JsonNode aigc = r.json().path("aigc");
    assertThat(verdict(atEnd, text, aigc)).isEqualTo("valid");
    JsonNode elsewhere = verify(shelf, text, aigc); // another process, another key
    assertThat(elsewhere.path("verdict").asText()).isEqualTo("foreign");
    assertThat(elsewhere.path("reason").asText()).contains("another key");
  }

  @Test
  void labelsSignedWithTheSecretKeyVerifyOnAnyServerSharingIt() throws Exception {
    byte[] secret = new byte[32];
    java.util.Arrays.fill(secret, (byte) 42);
    var box = new SecretBox(secret);
    // What a node with this secret key signs (the derivation is fixed: changing it would orphan
    // every label given out before).
    var signer = new LabelSigner(box.deriveKey("shelf-aigc-label-v1"));
    AigcLabel label = signer.sign(AigcLabel.generated("Shelf", "req-7"), "Some answer.");

    ShelfConfig config =
        new ConfigLoader(Map.of()).parse("t.yaml", "server: {port: 0, access_log: false}");
    var runtime = ShelfRuntime.of(config);
    try (var server = ShelfServer.start(runtime, null, null, new SecretBox(secret.clone()))) {
      var http = java.net.http.HttpClient.newHttpClient();
      ObjectNode body = Json.object();
      body.put("text", "Some answer.");
      body.set("label", Json.MAPPER.valueToTree(label.fields()));
      var res =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(
                          "http://127.0.0.1:" + server.port() + "/admin/v1/labels/verify"))
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString(Json.string(body)))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(Json.MAPPER.readTree(res.body()).path("verdict").asText()).isEqualTo("valid");
    } finally {
      runtime.close();
    }
  }

  @Test
  void labelsOffMeansNoLabelAndNoNotice() {
    stub.enqueue(hello().response());
    var r =
        off.post(
            "/v1/chat/completions",
            "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "authorization",
            auth());
    assertThat(r.header("x-aigc-label")).isNull();
    assertThat(r.json().has("aigc")).isFalse();
    assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(HELLO);

    stub.enqueue(hello().response());
    var s =
        sse(
            off,
            "/v1/chat/completions",
            "{\"model\": \"m\", \"stream\": true, \"messages\": [{\"role\": \"user\","
                + " \"content\": \"hi\"}]}");
    assertThat(s.header("x-aigc-label")).isNull();
    assertThat(s.json()).allSatisfy(e -> assertThat(e.has("aigc")).isFalse());
  }
}

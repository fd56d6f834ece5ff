package dev.shelf.providers.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import dev.shelf.providers.sse.SseReader;
import dev.shelf.providers.testing.LoopbackStub;
import dev.shelf.providers.testing.LoopbackStub.Reply;
import dev.shelf.providers.testing.LoopbackStub.Request;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one conformance suite every provider passes (STYLE habit 3, issue 3). A vendor joins with a
 * subclass that says how its wire format renders each {@link Scenario}, which header carries its
 * key, and what it supports; every assertion here is about the canonical chunks that come out:
 *
 * <ul>
 *   <li>the stream aggregates to the scenario's text, reasoning and tool calls;
 *   <li>tool calls have distinct indexes and ids, their id and name on the first delta, and
 *       arguments that concatenate to JSON equal to what the model sent;
 *   <li>exactly one chunk carries choice 0's finish reason, the canonical one, and nothing follows
 *       it but usage; usage comes exactly once, prompt including cache reads;
 *   <li>errors map to the right {@link Kind}, with our own words: never the key nor the body;
 *   <li>the request carries the vendor's auth header and asks for a stream.
 * </ul>
 *
 * The provider is made as the gateway makes it: through {@link ServiceLoader}, by {@code type},
 * with {@code base_url} at a {@link LoopbackStub}.
 */
abstract class ProviderConformanceTest {

  // ---- what a vendor fixture supplies ----

  /** The {@code type:} of the provider's factory. */
  abstract String type();

  /** The {@code base_url} to configure, given the stub's root ({@code http://127.0.0.1:PORT}). */
  String baseUrl(String stubRoot) {
    return stubRoot;
  }

  /** The vendor's bytes for {@code scenario}. */
  abstract Reply reply(Scenario scenario);

  /** The vendor's answer to a non-streaming request, or null where the adapter only streams. */
  @Nullable Reply wholeReply(Scenario scenario) {
    return null;
  }

  /** The request target the provider must use for a chat with {@link Scenario#MODEL}. */
  abstract String chatTarget();

  /** The header that carries the key, lower-cased, and its value for {@code key}. */
  abstract Map.Entry<String, String> authHeader(String key);

  /** Whether the request asks the vendor for a stream. */
  abstract boolean asksForStream(Request request);

  boolean supportsReasoning() {
    return true;
  }

  /** Whether the vendor counts reasoning tokens apart (canonical {@code reasoningTokens}). */
  boolean reportsReasoningTokens() {
    return true;
  }

  /** Whether the vendor streams tool-call arguments in fragments (else each call comes whole). */
  boolean streamsArgumentFragments() {
    return true;
  }

  /** Whether the vendor interleaves the argument fragments of parallel calls. */
  boolean supportsInterleavedToolFragments() {
    return false;
  }

  /** The kind the adapter documents for the vendor's error event after the stream began. */
  Kind midStreamErrorKind() {
    return Kind.UNAVAILABLE;
  }

  /**
   * The {@link ProviderException#upstreamStatus()} of that mid-stream error. The SPI says "the
   * upstream's HTTP status, or 0 when there was none"; inside a 200 stream that is 0.
   */
  int midStreamErrorStatus() {
    return 0;
  }

  // ---- the suite ----

  private LoopbackStub stub;
  private Provider provider;

  @BeforeEach
  void start() throws IOException {
    stub = new LoopbackStub();
    ProviderFactory factory =
        ServiceLoader.load(ProviderFactory.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(f -> f.type().equals(type()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ProviderFactory of type " + type()));
    provider =
        factory.create(
            new ProviderSpec(
                "conformance-" + type(),
                type(),
                null,
                baseUrl(stub.root()),
                Scenario.KEY,
                Map.of(),
                Duration.ofSeconds(2),
                Map.of()));
  }

  @AfterEach
  void stop() throws IOException {
    provider.close();
    stub.close();
  }

  private static ChatRequest request(Scenario s) {
    return ChatRequestCodec.read(Json.parse(s.requestJson().getBytes(StandardCharsets.UTF_8)));
  }

  /** Runs {@code s} and returns every chunk the provider sent; fails on an exception. */
  private List<ChatChunk> chat(Scenario s) {
    return chat(reply(s), s);
  }

  private List<ChatChunk> chat(Reply reply, Scenario s) {
    stub.enqueue(reply);
    var chunks = new ArrayList<ChatChunk>();
    provider.chat(request(s), Call.unbounded("conformance-" + s), chunks::add);
    return chunks;
  }

  /** Runs {@code s}, which must fail; {@code seen} receives the chunks sent before it did. */
  private ProviderException failure(Scenario s, List<ChatChunk> seen) {
    stub.enqueue(reply(s));
    try {
      provider.chat(request(s), Call.unbounded("conformance-" + s), seen::add);
    } catch (ProviderException e) {
      return e;
    }
    return fail("%s: expected a ProviderException, got %d chunks", s, seen.size());
  }

  private static ChatCompletion aggregate(List<ChatChunk> chunks) {
    var agg = new ChatAggregator();
    chunks.forEach(agg);
    return agg.result();
  }

  private void assumeSupported(Scenario s) {
    assumeTrue(s != Scenario.REASONING || supportsReasoning(), "no reasoning");
  }

  @ParameterizedTest
  @EnumSource(names = {"TEXT", "REASONING", "PARALLEL_TOOLS", "LENGTH"})
  void theStreamAggregatesToTheScriptedAnswer(Scenario s) {
    assumeSupported(s);
    ChatCompletion result = aggregate(chat(s));
    assertThat(result.choices()).hasSize(1);
    ChatCompletion.Choice choice = result.choices().getFirst();
    ChatMessage m = choice.message();
    assertThat(m.role()).isEqualTo("assistant");
    assertThat(m.text()).as("text").isEqualTo(String.join("", s.text()));
    assertThat(m.reasoning())
        .as("reasoning")
        .isEqualTo(s.reasoning().isEmpty() ? null : String.join("", s.reasoning()));
    assertThat(choice.finishReason()).as("finish_reason").isEqualTo(s.finishReason());
    if (s.tools().isEmpty()) {
      assertThat(m.toolCalls()).as("tool calls").isNull();
      return;
    }
    List<ChatMessage.ToolCall> calls = Objects.requireNonNull(m.toolCalls(), "tool calls");
    assertThat(calls).hasSameSizeAs(s.tools());
    for (int i = 0; i < calls.size(); i++) {
      ChatMessage.ToolCall call = calls.get(i);
      Scenario.Tool expected = s.tools().get(i);
      assertThat(call.name()).isEqualTo(expected.name());
      assertThat(Json.parse(call.arguments().getBytes(StandardCharsets.UTF_8)))
          .as("arguments of %s", call.name())
          .isEqualTo(expected.argumentsJson());
    }
    assertThat(calls.stream().map(ChatMessage.ToolCall::id).distinct()).hasSize(calls.size());
  }

  @ParameterizedTest
  @EnumSource(names = {"TEXT", "REASONING", "PARALLEL_TOOLS", "LENGTH"})
  void exactlyOneChunkCarriesTheFinishReasonAndNothingButUsageFollows(Scenario s) {
    assumeSupported(s);
    List<ChatChunk> chunks = chat(s);
    int finishAt = -1;
    for (int i = 0; i < chunks.size(); i++) {
      for (Choice c : chunks.get(i).choices()) {
        assertThat(c.index()).as("choice index").isZero();
        if (c.finishReason() != null) {
          assertThat(finishAt).as("a second finish reason, in chunk %d", i).isEqualTo(-1);
          assertThat(c.finishReason()).isEqualTo(s.finishReason());
          finishAt = i;
        }
      }
    }
    assertThat(finishAt).as("the chunk with the finish reason").isNotNegative();
    for (ChatChunk after : chunks.subList(finishAt + 1, chunks.size())) {
      assertThat(after.choices()).as("a choice after the finish").isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"TEXT", "REASONING", "PARALLEL_TOOLS", "LENGTH"})
  void usageIsReportedExactlyOnceAndAddsUp(Scenario s) {
    assumeSupported(s);
    List<ChatChunk> withUsage = chat(s).stream().filter(c -> c.usage() != null).toList();
    assertThat(withUsage).as("chunks with usage").hasSize(1);
    Usage got = Objects.requireNonNull(withUsage.getFirst().usage());
    Usage want = s.usage();
    assertThat(got.promptTokens())
        .as("prompt tokens (cached included)")
        .isEqualTo(want.promptTokens());
    assertThat(got.completionTokens()).as("completion tokens").isEqualTo(want.completionTokens());
    assertThat(got.totalTokens()).isEqualTo(want.promptTokens() + want.completionTokens());
    // Absent and zero cache reads are the same fact; adapters differ in which they say.
    assertThat(Objects.requireNonNullElse(got.cachedTokens(), 0))
        .as("cached tokens")
        .isEqualTo(want.cachedTokens());
    if (reportsReasoningTokens() && want.reasoningTokens() != null) {
      assertThat(got.reasoningTokens()).as("reasoning tokens").isEqualTo(want.reasoningTokens());
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"TEXT", "REASONING", "PARALLEL_TOOLS", "LENGTH"})
  void theConcatenatedStreamEqualsTheAggregatedAnswer(Scenario s) {
    assumeSupported(s);
    List<ChatChunk> chunks = chat(s);
    var text = new StringBuilder();
    var reasoning = new StringBuilder();
    var args = new LinkedHashMap<Integer, StringBuilder>();
    for (ChatChunk c : chunks) {
      assertThat(c.id()).as("every chunk's id").isEqualTo(chunks.getFirst().id()).isNotEmpty();
      for (Choice ch : c.choices()) {
        text.append(Objects.requireNonNullElse(ch.delta().content(), ""));
        reasoning.append(Objects.requireNonNullElse(ch.delta().reasoning(), ""));
        for (ToolCallDelta t :
            Objects.requireNonNullElse(ch.delta().toolCalls(), List.<ToolCallDelta>of())) {
          args.computeIfAbsent(t.index(), i -> new StringBuilder())
              .append(Objects.requireNonNullElse(t.arguments(), ""));
        }
      }
    }
    ChatMessage m = aggregate(chunks).choices().getFirst().message();
    assertThat(text.toString()).isEqualTo(Objects.requireNonNullElse(m.text(), ""));
    assertThat(reasoning.toString()).isEqualTo(Objects.requireNonNullElse(m.reasoning(), ""));
    List<String> aggregatedArgs =
        Objects.requireNonNullElse(m.toolCalls(), List.<ChatMessage.ToolCall>of()).stream()
            .map(ChatMessage.ToolCall::arguments)
            .toList();
    assertThat(args.values().stream().map(StringBuilder::toString).toList())
        .isEqualTo(aggregatedArgs);
  }

  @ParameterizedTest
  @EnumSource(names = {"TEXT", "REASONING", "PARALLEL_TOOLS", "LENGTH"})
  void theStreamedAnswerEqualsTheWholeOne(Scenario s) {
    assumeSupported(s);
    Reply whole = wholeReply(s);
    assumeTrue(whole != null, "the adapter only reads streams");
    ChatCompletion streamed = aggregate(chat(s));
    ChatCompletion fromWhole = aggregate(chat(Objects.requireNonNull(whole), s));
    assertThat(fromWhole.choices()).isEqualTo(streamed.choices());
    assertThat(fromWhole.usage()).isEqualTo(streamed.usage());
  }

  @Test
  void parallelToolCallDeltasAreWellFormed() {
    List<ToolCallDelta> deltas = new ArrayList<>();
    for (ChatChunk c : chat(Scenario.PARALLEL_TOOLS)) {
      for (Choice ch : c.choices()) {
        deltas.addAll(Objects.requireNonNullElse(ch.delta().toolCalls(), List.of()));
      }
    }
    List<Scenario.Tool> tools = Scenario.PARALLEL_TOOLS.tools();
    var firstByIndex = new LinkedHashMap<Integer, ToolCallDelta>();
    var fragments = new LinkedHashMap<Integer, List<String>>();
    for (ToolCallDelta d : deltas) {
      ToolCallDelta first = firstByIndex.putIfAbsent(d.index(), d);
      if (first != null) {
        assertThat(d.name()).as("a later delta of call %d repeats the name", d.index()).isNull();
        assertThat(d.id()).as("a later delta of call %d", d.index()).isIn(null, first.id());
      }
      if (d.arguments() != null && !d.arguments().isEmpty()) {
        fragments.computeIfAbsent(d.index(), i -> new ArrayList<>()).add(d.arguments());
      }
    }
    assertThat(firstByIndex.keySet()).as("distinct tool-call indexes").containsExactly(0, 1);
    var ids = new HashSet<String>();
    for (var e : firstByIndex.entrySet()) {
      ToolCallDelta first = e.getValue();
      assertThat(first.id()).as("id on the first delta of call %d", e.getKey()).isNotBlank();
      assertThat(ids.add(Objects.requireNonNull(first.id()))).as("distinct ids").isTrue();
      assertThat(first.name()).isEqualTo(tools.get(e.getKey()).name());
      String joined = String.join("", fragments.getOrDefault(e.getKey(), List.of()));
      assertThat(Json.parse(joined.getBytes(StandardCharsets.UTF_8)))
          .as("arguments of call %d", e.getKey())
          .isEqualTo(tools.get(e.getKey()).argumentsJson());
      if (streamsArgumentFragments()) {
        assertThat(fragments.get(e.getKey()))
            .as("fragments of call %d", e.getKey())
            .hasSizeGreaterThan(1);
      }
    }
    if (supportsInterleavedToolFragments()) {
      List<Integer> order = deltas.stream().map(ToolCallDelta::index).toList();
      assertThat(order)
          .as("delta order, interleaved as the vendor sent it")
          .isNotEqualTo(order.stream().sorted().toList());
    }
  }

  @Test
  void theRequestCarriesTheKeyAndAsksForAStream() throws InterruptedException {
    chat(Scenario.TEXT);
    Request seen = stub.takeRequest();
    assertThat(seen.method()).isEqualTo("POST");
    assertThat(seen.target()).isEqualTo(chatTarget());
    Map.Entry<String, String> auth = authHeader(Scenario.KEY);
    assertThat(seen.headers()).containsEntry(auth.getKey(), auth.getValue());
    assertThat(seen.target()).as("the key stays out of URLs").doesNotContain(Scenario.KEY);
    assertThat(seen.text()).as("the key stays out of the body").doesNotContain(Scenario.KEY);
    assertThat(asksForStream(seen))
        .as("asks for a stream: %s %s", seen.target(), seen.text())
        .isTrue();
  }

  @ParameterizedTest
  @EnumSource(
      names = {"RATE_LIMITED", "OVERLOADED", "UNAUTHORIZED", "ERROR_MID_STREAM", "TRUNCATED"})
  void errorsMapToTheirKindInOurOwnWords(Scenario s) {
    ProviderException e = failure(s, new ArrayList<>());
    Kind want =
        switch (s) {
          case RATE_LIMITED -> Kind.RATE_LIMITED;
          case OVERLOADED -> Kind.UNAVAILABLE;
          case UNAUTHORIZED -> Kind.AUTH;
          case ERROR_MID_STREAM -> midStreamErrorKind();
          default -> Kind.BROKEN_STREAM;
        };
    assertThat(e.kind()).as("kind of %s", s).isEqualTo(want);
    assertThat(e.retryable()).isEqualTo(s != Scenario.UNAUTHORIZED);
    assertThat(e.getMessage())
        .isNotBlank()
        .doesNotContain(Scenario.KEY)
        .doesNotContain(Scenario.MARKER);
    Reply reply = reply(s);
    int status =
        reply.status() != 200
            ? reply.status()
            : s == Scenario.ERROR_MID_STREAM ? midStreamErrorStatus() : 0;
    assertThat(e.upstreamStatus()).as("upstream status").isEqualTo(status);
  }

  @Test
  void aRateLimitSaysWhenToRetry() {
    ProviderException e = failure(Scenario.RATE_LIMITED, new ArrayList<>());
    assertThat(e.retryAfterMillis()).isEqualTo(Scenario.RETRY_AFTER_SECONDS * 1000L);
  }

  @ParameterizedTest
  @EnumSource(names = {"ERROR_MID_STREAM", "TRUNCATED"})
  void chunksBeforeAFailureReachTheSinkUnfinished(Scenario s) {
    var seen = new ArrayList<ChatChunk>();
    failure(s, seen);
    assertThat(aggregate(seen).choices().getFirst().message().text())
        .isEqualTo(String.join("", s.text()));
    assertThat(seen)
        .as("no finish reason before a failure")
        .allSatisfy(
            c -> assertThat(c.choices()).allSatisfy(ch -> assertThat(ch.finishReason()).isNull()));
  }

  // ---- for the fixtures' own tests ----

  /**
   * The events of a scripted stream, read back as a client reads them: checks that {@code reply} is
   * a 200 chunked event stream and that each of its pieces (one transfer chunk) holds exactly one
   * whole event, then returns the events in order.
   */
  static List<SseReader.Event> events(Reply reply) throws IOException {
    assertThat(reply.status()).as("status").isEqualTo(200);
    assertThat(reply.chunked()).as("chunked").isTrue();
    assertThat(reply.headers()).containsEntry("content-type", "text/event-stream");
    for (String piece : reply.pieces()) {
      assertThat(read(piece)).as("events in the chunk %s", piece).hasSize(1);
    }
    return read(reply.body());
  }

  private static List<SseReader.Event> read(String sse) throws IOException {
    var reader = new SseReader(new ByteArrayInputStream(sse.getBytes(StandardCharsets.UTF_8)));
    var events = new ArrayList<SseReader.Event>();
    SseReader.Event e;
    while ((e = reader.next()) != null) {
      events.add(e);
    }
    return events;
  }
}

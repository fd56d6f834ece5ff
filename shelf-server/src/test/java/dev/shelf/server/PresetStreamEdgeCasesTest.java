package dev.shelf.server;

import static dev.shelf.server.PresetShelf.ask;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.stub.StubUpstream.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SSE edge cases {@code presets.yaml} says Shelf handles for every preset, run through every
 * preset: lines split across reads (inside {@code data:} and inside multi-byte UTF-8 characters),
 * CRLF line endings, comment and keep-alive lines, error events mid-stream, usage in the last chunk
 * or missing, close-delimited bodies and streams that end too early. Each case is checked for a
 * streaming client (the concatenated deltas) and, where it differs, a non-streaming one.
 */
class PresetStreamEdgeCasesTest {
  /** Multi-byte text: 2-byte ü/ß, 3-byte CJK, a 4-byte emoji. */
  static final String TEXT = "Grüße, 世界 🙂! Ünïcödé ✓";

  static PresetShelf p;
  static StubUpstream stub;

  @BeforeAll
  static void start() {
    p = new PresetShelf();
    stub = p.stub;
  }

  @AfterAll
  static void stop() {
    p.close();
  }

  @BeforeEach
  void reset() {
    stub.reset();
  }

  static Stream<String> presets() {
    return PresetShelf.keys().stream();
  }

  /** The answer {@link #TEXT} in three content deltas, with usage in an empty-choices chunk. */
  static ChatStream answer(String preset) {
    return ChatStream.of("up-" + preset)
        .role()
        .content("Grüße, 世")
        .content("界 🙂! Ünïc")
        .content("ödé ✓")
        .finish("stop")
        .usage(11, 9)
        .done();
  }

  static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found: " + new String(needle, StandardCharsets.UTF_8));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Cuts inside {@code data:}, inside 2-, 3- and 4-byte characters, and between CR/LF pairs. */
  static int[] awkwardCuts(byte[] all) {
    var cuts = new TreeSet<Integer>();
    int secondData = indexOf(all, utf8("data:"), indexOf(all, utf8("data:"), 0) + 1);
    cuts.add(secondData + 2); // "da" | "ta: {..."
    cuts.add(indexOf(all, utf8("ü"), 0) + 1);
    cuts.add(indexOf(all, utf8("世"), 0) + 1);
    cuts.add(indexOf(all, utf8("界"), 0) + 2);
    cuts.add(indexOf(all, utf8("🙂"), 0) + 1);
    cuts.add(indexOf(all, utf8("🙂"), 0) + 3);
    cuts.add(indexOf(all, utf8("✓"), 0) + 2);
    int blank = indexOf(all, utf8("\n\n"), 0);
    cuts.add(blank + 1); // between the two line ends of the first event
    int done = indexOf(all, utf8("[DONE]"), 0);
    cuts.add(done + 3);
    return cuts.stream().mapToInt(Integer::intValue).toArray();
  }

  void assertWholeAnswer(String preset) {
    var s = p.stream(ask(preset, "hi"));
    assertThat(s.error()).as("no error event").isNull();
    assertThat(s.content()).isEqualTo(TEXT);
    assertThat(s.finishReasons()).containsExactly("stop");
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().promptTokens()).isEqualTo(11);
    assertThat(s.requireUsage().completionTokens()).isEqualTo(9);

    ChatCompletion c = p.client.chat().completions().create(ask(preset, "hi").build());
    assertThat(c.choices().getFirst().message().content()).contains(TEXT);
    assertThat(c.usage().orElseThrow().totalTokens()).isEqualTo(20);
    assertThat(stub.requests()).hasSize(2);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void linesSplitAcrossReadsInsideDataAndInsideCharacters(String preset) {
    byte[] all = answer(preset).bytes();
    stub.handler(r -> Response.split(all, awkwardCuts(all)).paced(1));
    assertWholeAnswer(preset);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void oneByteAtATime(String preset) {
    byte[] all = answer(preset).crlf().bytes();
    stub.handler(r -> Response.pieces(all, 1));
    assertWholeAnswer(preset);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void crlfLineEndings(String preset) {
    ChatStream crlf = answer(preset).crlf();
    assertThat(crlf.text()).contains("\r\n\r\n").doesNotContain("}\n\n");
    byte[] all = crlf.bytes();
    // Split between every CR and its LF: a naive reader sees an extra blank line there.
    int[] cuts = new int[crlf.eventTexts().size() * 2];
    int n = 0;
    for (int i = 0; i < all.length - 1; i++) {
      if (all[i] == '\r') {
        cuts[n++] = i + 1;
      }
    }
    int[] between = java.util.Arrays.copyOf(cuts, n);
    stub.handler(r -> Response.split(all, between).paced(1));
    assertWholeAnswer(preset);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void commentAndKeepAliveLines(String preset) {
    stub.handler(
        r ->
            ChatStream.of("up-" + preset)
                .comment("keep-alive")
                .comment("")
                .comment("OPENROUTER PROCESSING")
                .role()
                .comment("keep-alive")
                .content("Grüße, 世")
                .raw("id: 7", "retry: 3000", ": mid-event comment", "event: message")
                .content("界 🙂! Ünïc")
                .comment("keep-alive")
                .content("ödé ✓")
                .finish("stop")
                .comment("keep-alive")
                .usage(11, 9)
                .done()
                .response());
    assertWholeAnswer(preset);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void anErrorEventMidStreamGivesTheClientAnErrorAndNoDuplicateContent(String preset) {
    stub.handler(
        r ->
            ChatStream.of("up-" + preset)
                .role()
                .content("Grüße, ")
                .content("世界")
                .error("The engine is overloaded", "server_error", "overloaded")
                .done()
                .response());

    var s = p.stream(ask(preset, "hi"));
    assertThat(s.content()).isEqualTo("Grüße, 世界");
    assertThat(s.error()).isNotNull();
    assertThat(s.requireError().code()).contains("upstream_error");
    assertThat(s.finishReasons()).isEmpty();
    assertThat(stub.requests()).hasSize(1);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void anEventTypedErrorMidStreamEndsTheStreamToo(String preset) {
    stub.handler(
        r ->
            ChatStream.of("up-" + preset)
                .role()
                .content("Grüße")
                .raw(
                    "event: error",
                    "data: {\"message\": \"overloaded\", \"type\": \"server_error\"}")
                .response());

    var raw =
        p.shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"m-"
                + preset
                + "\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
    List<String> events = raw.events();
    assertThat(events).doesNotContain("[DONE]");
    assertThat(events.getLast()).contains("\"error\"");
    assertThat(String.join("\n", events)).containsOnlyOnce("Grüße");
  }

  @ParameterizedTest
  @MethodSource("presets")
  void usageInTheLastContentChunkIsReportedOnce(String preset) {
    stub.handler(
        r ->
            ChatStream.of("up-" + preset)
                .role()
                .content("Grüße, 世")
                .content("界 🙂! Ünïc")
                .content("ödé ✓")
                .finish("stop")
                .last(c -> c.set("usage", ChatStream.usageJson(11, 9)))
                .done()
                .response());
    assertWholeAnswer(preset);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void missingUsageIsEstimated(String preset) {
    stub.handler(
        r ->
            ChatStream.of("up-" + preset)
                .role()
                .content("Grüße, 世")
                .content("界 🙂! Ünïc")
                .content("ödé ✓")
                .finish("stop")
                .done()
                .response());

    ChatCompletion c = p.client.chat().completions().create(ask(preset, "Count my tokens").build());
    assertThat(c.choices().getFirst().message().content()).contains(TEXT);
    var u = c.usage().orElseThrow();
    assertThat(u.promptTokens()).isPositive();
    assertThat(u.completionTokens()).isPositive();
    assertThat(u.totalTokens()).isEqualTo(u.promptTokens() + u.completionTokens());

    var s = p.stream(ask(preset, "Count my tokens"));
    assertThat(s.content()).isEqualTo(TEXT);
    assertThat(s.usage()).as("a usage chunk is still sent when asked for").isNotNull();
    assertThat(s.requireUsage().promptTokens()).isEqualTo(u.promptTokens());
  }

  @ParameterizedTest
  @MethodSource("presets")
  void aCloseDelimitedStreamWithoutDoneIsComplete(String preset) {
    var fragments = new ArrayList<>(answer(preset).response().fragments());
    fragments.removeLast(); // no [DONE]: the finish reason and the close end it
    stub.handler(r -> Response.sse(fragments).closeDelimited());
    assertWholeAnswer(preset);
  }

  @ParameterizedTest
  @MethodSource("presets")
  void aStreamThatStopsBeforeTheAnswerEndsIsAnErrorNotATruncatedSuccess(String preset) {
    stub.handler(
        r -> ChatStream.of("up-" + preset).role().content("Grüße, ").response().closeDelimited());

    var s = p.stream(ask(preset, "hi"));
    assertThat(s.content()).isEqualTo("Grüße, ");
    assertThat(s.error()).isNotNull();
    assertThat(s.finishReasons()).isEmpty();
  }

  @Test
  void missingUsageInAStreamCountsTheStreamedCompletion() {
    stub.handler(
        r -> ChatStream.of("up-openai").role().content(TEXT).finish("stop").done().response());
    var s = p.stream(ask("openai", "hi"));
    assertThat(s.usage()).isNotNull();
    assertThat(s.requireUsage().completionTokens()).isPositive();
  }
}

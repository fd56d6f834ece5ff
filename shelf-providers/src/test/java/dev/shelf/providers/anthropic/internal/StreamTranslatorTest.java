package dev.shelf.providers.anthropic.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatMessage.ToolCall;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.sse.SseReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Anthropic stream events to chat chunks, driven by the recorded transcripts in {@code
 * src/test/resources/anthropic} (see the README there for how they were made). Each test states the
 * exact chunks, then what a non-streaming client gets from them.
 */
class StreamTranslatorTest {
  private static final long T = 1_700_000_000L;

  static byte[] resource(String name) {
    try (InputStream in = StreamTranslatorTest.class.getResourceAsStream("/anthropic/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource /anthropic/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Feeds every event of the transcript to a translator and returns what it emits. */
  static List<ChatChunk> translate(byte[] sse, boolean jsonTool) {
    var t = new StreamTranslator("claude", T, jsonTool);
    var out = new ArrayList<ChatChunk>();
    var reader = new SseReader(new ByteArrayInputStream(sse));
    try {
      SseReader.Event e;
      while ((e = reader.next()) != null) {
        out.addAll(t.onEvent(e.event(), Json.MAPPER.readTree(e.bytes())));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.addAll(t.end());
    return out;
  }

  static List<ChatChunk> translate(String resource) {
    return translate(resource(resource), false);
  }

  private static ChatChunk chunk(String id, String model, Delta delta, @Nullable String finish) {
    return new ChatChunk(id, T, model, null, List.of(new Choice(0, delta, finish, null)), null);
  }

  private static Delta content(String text) {
    return new Delta(null, text, null, null, null);
  }

  private static Delta reasoning(String text) {
    return new Delta(null, null, text, null, null);
  }

  private static Delta call(int index, @Nullable String id, @Nullable String name, String args) {
    return new Delta(null, null, null, List.of(new ToolCallDelta(index, id, name, args)), null);
  }

  private static final Delta ROLE = new Delta("assistant", null, null, null, null);

  private static ChatCompletion aggregate(List<ChatChunk> chunks) {
    var agg = new ChatAggregator();
    chunks.forEach(agg);
    return agg.result();
  }

  @Test
  void plainText() {
    String id = "msg_01XFDUDYJgAACzvnptvVoYEL";
    String model = "claude-sonnet-4-5-20250929";
    List<ChatChunk> chunks = translate("text.sse");
    assertThat(chunks)
        .containsExactly(
            chunk(id, model, ROLE, null),
            chunk(id, model, content("Hello"), null),
            chunk(id, model, content("! How can I help you today?"), null),
            chunk(id, model, Delta.EMPTY, "stop"),
            new ChatChunk(id, T, model, null, List.of(), new Usage(145, 12, 100, null)));

    ChatCompletion whole = aggregate(chunks);
    assertThat(whole.choices()).hasSize(1);
    assertThat(whole.choices().getFirst().message().text())
        .isEqualTo("Hello! How can I help you today?");
    assertThat(whole.choices().getFirst().finishReason()).isEqualTo("stop");
    assertThat(whole.usage())
        .as("prompt = input 25 + cache read 100 + cache write 20; cached = cache read")
        .isEqualTo(new Usage(145, 12, 100, null));
  }

  @Test
  void thinkingThenText() {
    String id = "msg_01ThinkingExample00000001";
    String model = "claude-sonnet-4-5-20250929";
    List<ChatChunk> chunks = translate("thinking.sse");
    assertThat(chunks)
        .as("the signature delta has no place in a chunk and is dropped")
        .containsExactly(
            chunk(id, model, ROLE, null),
            chunk(id, model, reasoning("27 * 453 = 27 * 400 + 27 * 53"), null),
            chunk(id, model, reasoning(" = 10800 + 1431 = 12231."), null),
            chunk(id, model, content("27 * 453 = "), null),
            chunk(id, model, content("12,231"), null),
            chunk(id, model, Delta.EMPTY, "stop"),
            new ChatChunk(id, T, model, null, List.of(), new Usage(48, 87, 0, null)));

    var message = aggregate(chunks).choices().getFirst().message();
    assertThat(message.reasoning())
        .isEqualTo("27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431 = 12231.");
    assertThat(message.text()).isEqualTo("27 * 453 = 12,231");
  }

  @Test
  void twoParallelToolCallsGetDistinctIndexesCountedPerCall() {
    String id = "msg_014p7gG3wDgGV9EUtLvnow3U";
    String model = "claude-sonnet-4-5-20250929";
    List<ChatChunk> chunks = translate("parallel_tools.sse");
    assertThat(chunks)
        .as("content indexes 1 and 2 become tool indexes 0 and 1; empty partial_json is skipped")
        .containsExactly(
            chunk(id, model, ROLE, null),
            chunk(id, model, content("I'll check the weather in both cities."), null),
            chunk(id, model, call(0, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", ""), null),
            chunk(id, model, call(0, null, null, "{\"location\": \"San Fra"), null),
            chunk(id, model, call(0, null, null, "ncisco, CA\", \"unit\": \"celsius\"}"), null),
            chunk(id, model, call(1, "toolu_01CQnTyc8qrFbQHnJTy1RvUu", "get_weather", ""), null),
            chunk(id, model, call(1, null, null, "{\"locat"), null),
            chunk(
                id,
                model,
                call(1, null, null, "ion\": \"Paris, France\", \"unit\": \"celsius\"}"),
                null),
            chunk(id, model, Delta.EMPTY, "tool_calls"),
            new ChatChunk(id, T, model, null, List.of(), new Usage(472, 139, 0, null)));

    var choice = aggregate(chunks).choices().getFirst();
    assertThat(choice.finishReason()).isEqualTo("tool_calls");
    assertThat(choice.message().toolCalls())
        .containsExactly(
            new ToolCall(
                "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                "get_weather",
                "{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}"),
            new ToolCall(
                "toolu_01CQnTyc8qrFbQHnJTy1RvUu",
                "get_weather",
                "{\"location\": \"Paris, France\", \"unit\": \"celsius\"}"));
    for (ToolCall c : java.util.Objects.requireNonNull(choice.message().toolCalls())) {
      JsonNode args = Json.parse(c.arguments().getBytes(StandardCharsets.UTF_8));
      assertThat(args.isObject()).as("arguments of %s are a JSON object", c.id()).isTrue();
      assertThat(args.path("unit").asText()).isEqualTo("celsius");
    }
  }

  @Test
  void errorEventMidStreamThrowsAfterTheTextSoFar() {
    var t = new StreamTranslator("claude", T, false);
    var seen = new ArrayList<ChatChunk>();
    var reader = new SseReader(new ByteArrayInputStream(resource("error_midstream.sse")));
    assertThatThrownBy(
            () -> {
              SseReader.Event e;
              while ((e = reader.next()) != null) {
                seen.addAll(t.onEvent(e.event(), Json.MAPPER.readTree(e.bytes())));
              }
            })
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
              assertThat(e.retryable()).isTrue();
              assertThat(e.upstreamStatus()).isZero();
              assertThat(e.getMessage()).isEqualTo("claude is overloaded (overloaded_error)");
            });
    assertThat(seen)
        .extracting(c -> c.choices().getFirst().delta().content())
        .containsExactly(null, "Once upon");
  }

  @Test
  void maxTokensStopIsLength() {
    String id = "msg_01MaxTokensExample0000001";
    String model = "claude-haiku-4-5-20251001";
    List<ChatChunk> chunks = translate("max_tokens.sse");
    assertThat(chunks)
        .containsExactly(
            chunk(id, model, ROLE, null),
            chunk(id, model, content("The history of"), null),
            chunk(id, model, content(" Rome begins"), null),
            chunk(id, model, Delta.EMPTY, "length"),
            new ChatChunk(id, T, model, null, List.of(), new Usage(14, 5, 0, null)));
    var choice = aggregate(chunks).choices().getFirst();
    assertThat(choice.finishReason()).isEqualTo("length");
    assertThat(choice.message().text()).isEqualTo("The history of Rome begins");
  }

  @Test
  void everyTranscriptHasExactlyOneFinishAndOneUsageChunkLast() {
    for (String name :
        List.of("text.sse", "thinking.sse", "parallel_tools.sse", "max_tokens.sse")) {
      List<ChatChunk> chunks = translate(name);
      long finishes =
          chunks.stream()
              .flatMap(c -> c.choices().stream())
              .filter(c -> c.finishReason() != null)
              .count();
      assertThat(finishes).as(name).isEqualTo(1);
      assertThat(chunks.stream().filter(c -> c.usage() != null)).as(name).hasSize(1);
      assertThat(chunks.getLast().usage()).as(name).isNotNull();
      assertThat(chunks.getLast().choices()).as(name).isEmpty();
    }
  }

  // ------------------------------------------------------------- edge cases, inline events

  private static List<ChatChunk> events(boolean jsonTool, String... singleQuoted) {
    var sb = new StringBuilder();
    for (String e : singleQuoted) {
      sb.append("data: ").append(e.replace('\'', '"')).append("\n\n");
    }
    return translate(sb.toString().getBytes(StandardCharsets.UTF_8), jsonTool);
  }

  private static final String START =
      "{'type':'message_start','message':{'id':'m','model':'c','usage':{'input_tokens':3,"
          + "'output_tokens':1}}}";
  private static final String STOP = "{'type':'message_stop'}";

  private static String delta(String stopReason) {
    return "{'type':'message_delta','delta':{'stop_reason':'"
        + stopReason
        + "'},'usage':{'output_tokens':2}}";
  }

  @Test
  void aToolWithoutParametersGetsAnEmptyObjectAsArguments() {
    List<ChatChunk> chunks =
        events(
            false,
            START,
            "{'type':'content_block_start','index':0,'content_block':{'type':'tool_use',"
                + "'id':'toolu_1','name':'now','input':{}}}",
            "{'type':'content_block_delta','index':0,'delta':{'type':'input_json_delta',"
                + "'partial_json':''}}",
            "{'type':'content_block_stop','index':0}",
            delta("tool_use"),
            STOP);
    var calls = aggregate(chunks).choices().getFirst().message().toolCalls();
    assertThat(calls).containsExactly(new ToolCall("toolu_1", "now", "{}"));
  }

  @Test
  void theForcedJsonToolIsReadAsContent() {
    List<ChatChunk> chunks =
        events(
            true,
            START,
            "{'type':'content_block_start','index':0,'content_block':{'type':'tool_use',"
                + "'id':'toolu_1','name':'json_response','input':{}}}",
            "{'type':'content_block_delta','index':0,'delta':{'type':'input_json_delta',"
                + "'partial_json':'{\\'a\\': '}}",
            "{'type':'content_block_delta','index':0,'delta':{'type':'input_json_delta',"
                + "'partial_json':'1}'}}",
            "{'type':'content_block_stop','index':0}",
            delta("tool_use"),
            STOP);
    var choice = aggregate(chunks).choices().getFirst();
    assertThat(choice.message().text()).isEqualTo("{\"a\": 1}");
    assertThat(choice.message().toolCalls()).isNull();
    assertThat(choice.finishReason()).isEqualTo("stop");
  }

  @Test
  void ignoredBlocksAndUnknownEventsProduceNothing() {
    List<ChatChunk> chunks =
        events(
            false,
            START,
            "{'type':'content_block_start','index':0,'content_block':{'type':'redacted_thinking',"
                + "'data':'EmwKAhgBEgy3va3pzix'}}",
            "{'type':'content_block_stop','index':0}",
            "{'type':'some_future_event','x':1}",
            "{'type':'ping'}",
            delta("end_turn"),
            STOP);
    assertThat(chunks).hasSize(3); // role, finish, usage
  }

  @Test
  void aStreamCutBeforeTheStopReasonIsBroken() {
    assertThatThrownBy(() -> events(false, START))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BROKEN_STREAM));
  }

  @Test
  void aStreamWithAStopReasonButNoMessageStopStillReportsUsage() {
    List<ChatChunk> chunks = events(false, START, delta("end_turn"));
    assertThat(chunks.getLast().usage()).isEqualTo(new Usage(3, 2, 0, null));
  }

  @Test
  void laterCumulativeUsageReplacesEarlierValues() {
    List<ChatChunk> chunks =
        events(
            false,
            START,
            "{'type':'message_delta','delta':{'stop_reason':'end_turn'},'usage':{"
                + "'input_tokens':5,'cache_read_input_tokens':7,'output_tokens':9}}",
            STOP);
    assertThat(chunks.getLast().usage()).isEqualTo(new Usage(12, 9, 7, null));
  }

  @ParameterizedTest
  @CsvSource({
    "end_turn, false, stop",
    "stop_sequence, false, stop",
    "pause_turn, false, stop",
    "max_tokens, false, length",
    "model_context_window_exceeded, false, length",
    "tool_use, false, tool_calls",
    "tool_use, true, stop",
    "refusal, false, content_filter",
    "something_new, false, stop"
  })
  void stopReasons(String stopReason, boolean jsonTool, String finish) {
    assertThat(StreamTranslator.finishReason(stopReason, jsonTool)).isEqualTo(finish);
  }
}

package dev.shelf.providers.gemini.internal;

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
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Gemini stream events to chat chunks, driven by the transcripts in {@code
 * src/test/resources/gemini} (see the README there). Each test states the exact chunks, then what a
 * non-streaming client gets from them.
 */
class StreamTranslatorTest {
  private static final long T = 1_700_000_000L;
  private static final String MODEL = "gemini-2.5-flash";

  static byte[] resource(String name) {
    try (InputStream in = StreamTranslatorTest.class.getResourceAsStream("/gemini/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource /gemini/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Feeds every event of the transcript to a translator, then ends it. */
  static List<ChatChunk> translate(byte[] sse, List<ChatChunk> out) {
    var t = new StreamTranslator("gemini", T, "asked-model", "call_");
    var reader = new SseReader(new ByteArrayInputStream(sse));
    try {
      SseReader.Event e;
      while ((e = reader.next()) != null) {
        out.addAll(t.onEvent(Json.MAPPER.readTree(e.bytes())));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.addAll(t.end());
    return out;
  }

  static List<ChatChunk> translate(String resource) {
    return translate(resource(resource), new ArrayList<>());
  }

  private static ChatChunk chunk(String id, Delta delta, @Nullable String finish) {
    return new ChatChunk(id, T, MODEL, null, List.of(new Choice(0, delta, finish, null)), null);
  }

  private static ChatChunk usage(String id, Usage usage) {
    return new ChatChunk(id, T, MODEL, null, List.of(), usage);
  }

  private static Delta content(String text) {
    return new Delta(null, text, null, null, null);
  }

  private static Delta reasoning(String text) {
    return new Delta(null, null, text, null, null);
  }

  private static Delta call(int index, String id, String name, String args) {
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
    String id = "k2xSaOC2L5a1nvgP1pDJ-Qo";
    List<ChatChunk> chunks = translate("text.sse");
    assertThat(chunks)
        .as("the empty text of the last event is skipped; usage comes once, at the end")
        .containsExactly(
            chunk(id, ROLE, null),
            chunk(id, content("Hello"), null),
            chunk(id, content("! How can I help you today?"), null),
            chunk(id, Delta.EMPTY, "stop"),
            usage(id, new Usage(1032, 9, 1024, null)));

    ChatCompletion whole = aggregate(chunks);
    assertThat(whole.choices()).hasSize(1);
    assertThat(whole.choices().getFirst().message().text())
        .isEqualTo("Hello! How can I help you today?");
    assertThat(whole.choices().getFirst().finishReason()).isEqualTo("stop");
    assertThat(whole.usage())
        .as("promptTokenCount already includes the cached tokens; not counted twice")
        .isEqualTo(new Usage(1032, 9, 1024, null));
    assertThat(whole.model()).as("modelVersion wins over the model asked for").isEqualTo(MODEL);
  }

  @Test
  void thoughtsAreReasoningAndCountInTheCompletion() {
    String id = "T3BSaKqUDcKYnvgPq9W3oQ8";
    List<ChatChunk> chunks = translate("thinking.sse");
    assertThat(chunks)
        .as("the thought signature has no place in a chunk and is dropped")
        .containsExactly(
            chunk(id, ROLE, null),
            chunk(id, reasoning("**Multiplying**\n\n27 * 453 = 27 * 400 + 27 * 53"), null),
            chunk(id, reasoning(" = 10800 + 1431 = 12231."), null),
            chunk(id, content("27 * 453 = 12,231"), null),
            chunk(id, Delta.EMPTY, "stop"),
            usage(id, new Usage(12, 92, 0, 83)));

    var message = aggregate(chunks).choices().getFirst().message();
    assertThat(message.reasoning())
        .isEqualTo("**Multiplying**\n\n27 * 453 = 27 * 400 + 27 * 53 = 10800 + 1431 = 12231.");
    assertThat(message.text()).isEqualTo("27 * 453 = 12,231");
    assertThat(aggregate(chunks).usage())
        .as("completion = candidates 9 + thoughts 83; reasoning = thoughts")
        .isEqualTo(new Usage(12, 92, 0, 83));
  }

  @Test
  void twoFunctionCallsInOneAnswerGetDistinctIndexesAndIds() {
    String id = "Xm5SaIWRAbLjnvgPsKC8mQs";
    List<ChatChunk> chunks = translate("parallel_tools.sse");
    String sf = "{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}";
    String paris = "{\"location\":\"Paris, France\",\"unit\":\"celsius\"}";
    assertThat(chunks)
        .as("each call whole, in one fragment, with a generated id; STOP after calls = tool_calls")
        .containsExactly(
            chunk(id, ROLE, null),
            chunk(id, content("I'll check the weather in both cities."), null),
            chunk(id, call(0, "call_0", "get_weather", sf), null),
            chunk(id, call(1, "call_1", "get_weather", paris), null),
            chunk(id, Delta.EMPTY, "tool_calls"),
            usage(id, new Usage(96, 41, 0, null)));

    var choice = aggregate(chunks).choices().getFirst();
    assertThat(choice.finishReason()).isEqualTo("tool_calls");
    assertThat(choice.message().toolCalls())
        .containsExactly(
            new ToolCall("call_0", "get_weather", sf),
            new ToolCall("call_1", "get_weather", paris));
    for (ToolCall c : Objects.requireNonNull(choice.message().toolCalls())) {
      JsonNode args = Json.parse(c.arguments().getBytes(StandardCharsets.UTF_8));
      assertThat(args.isObject()).as("arguments of %s are a JSON object", c.id()).isTrue();
      assertThat(args.path("unit").asText()).isEqualTo("celsius");
    }
  }

  @Test
  void aSafetyStopIsContentFilter() {
    String id = "bXRSaOyGJNqjnvgP5Lq2uQQ";
    List<ChatChunk> chunks = translate("safety.sse");
    assertThat(chunks)
        .as("the blocked candidate has no parts; the safety ratings are dropped")
        .containsExactly(
            chunk(id, ROLE, null),
            chunk(id, content("Here is how you"), null),
            chunk(id, Delta.EMPTY, "content_filter"),
            usage(id, new Usage(15, 4, 0, null)));
    assertThat(aggregate(chunks).choices().getFirst().finishReason()).isEqualTo("content_filter");
  }

  @Test
  void maxTokensIsLength() {
    String id = "3nZSaNrRFM2vnvgP-8-QoQc";
    List<ChatChunk> chunks = translate("max_tokens.sse");
    assertThat(chunks)
        .containsExactly(
            chunk(id, ROLE, null),
            chunk(id, content("Once upon a time, in a land"), null),
            chunk(id, content(" far away"), null),
            chunk(id, Delta.EMPTY, "length"),
            usage(id, new Usage(7, 10, 0, null)));
    ChatCompletion whole = aggregate(chunks);
    assertThat(whole.choices().getFirst().finishReason()).isEqualTo("length");
    assertThat(whole.choices().getFirst().message().text())
        .isEqualTo("Once upon a time, in a land far away");
  }

  @Test
  void anErrorObjectMidStreamThrowsAfterTheTextSoFar() {
    var seen = new ArrayList<ChatChunk>();
    assertThatThrownBy(() -> translate(resource("error_midstream.sse"), seen))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
              assertThat(e.retryable()).isTrue();
              assertThat(e.getMessage()).isEqualTo("gemini failed (503 UNAVAILABLE)");
            });
    assertThat(seen).hasSize(2);
    assertThat(seen.get(1).choices().getFirst().delta().content()).isEqualTo("Once upon");
  }

  @Test
  void aBlockedPromptFailsAsContentFilter() {
    assertThatThrownBy(() -> translate("prompt_blocked.sse"))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Kind.CONTENT_FILTER);
              assertThat(e.code()).isEqualTo("content_filter");
              assertThat(e.retryable()).isFalse();
              assertThat(e.getMessage())
                  .isEqualTo("gemini blocked the prompt (PROHIBITED_CONTENT)");
            });
  }

  @Test
  void aStreamCutBeforeTheFinishReasonIsBroken() {
    String text = new String(resource("text.sse"), StandardCharsets.UTF_8);
    String cut = text.substring(0, text.lastIndexOf("data: "));
    assertThatThrownBy(() -> translate(cut.getBytes(StandardCharsets.UTF_8), new ArrayList<>()))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BROKEN_STREAM));
    assertThatThrownBy(() -> translate(new byte[0], new ArrayList<>()))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BROKEN_STREAM));
  }

  @Test
  void aCallWithoutArgsGetsAnEmptyObjectAndCandidatesAreChoices() {
    var t = new StreamTranslator("gemini", T, "gemini-2.5-pro", "call_x_");
    String event =
        "{\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"now\"}}],"
            + "\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0},"
            + "{\"content\": {\"parts\": [{\"text\": \"Hi\"}],\"role\": \"model\"},"
            + "\"finishReason\": \"STOP\",\"index\": 1}]}";
    List<ChatChunk> chunks =
        new ArrayList<>(t.onEvent(Json.parse(event.getBytes(StandardCharsets.UTF_8))));
    chunks.addAll(t.end());
    ChatCompletion whole = aggregate(chunks);
    assertThat(whole.model())
        .as("no modelVersion: the model asked for")
        .isEqualTo("gemini-2.5-pro");
    assertThat(whole.choices()).hasSize(2);
    assertThat(whole.choices().get(0).message().toolCalls())
        .containsExactly(new ToolCall("call_x_0", "now", "{}"));
    assertThat(whole.choices().get(0).finishReason()).isEqualTo("tool_calls");
    assertThat(whole.choices().get(1).message().text()).isEqualTo("Hi");
    assertThat(whole.choices().get(1).finishReason()).isEqualTo("stop");
    assertThat(whole.usage()).as("no usageMetadata, no usage chunk").isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "STOP, false, stop",
    "STOP, true, tool_calls",
    "MAX_TOKENS, false, length",
    "MAX_TOKENS, true, length",
    "SAFETY, false, content_filter",
    "RECITATION, false, content_filter",
    "BLOCKLIST, false, content_filter",
    "PROHIBITED_CONTENT, false, content_filter",
    "SPII, false, content_filter",
    "IMAGE_SAFETY, false, content_filter",
    "LANGUAGE, false, stop",
    "OTHER, false, stop",
    "MALFORMED_FUNCTION_CALL, false, stop",
    "FINISH_REASON_UNSPECIFIED, false, stop",
  })
  void finishReasons(String gemini, boolean calledTools, String openai) {
    assertThat(StreamTranslator.finishReason(gemini, calledTools)).isEqualTo(openai);
  }
}

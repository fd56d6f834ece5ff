package dev.shelf.api;

import static dev.shelf.api.TestJson.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.ChatMessage.ToolCall;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChatAggregatorTest {

  private static ChatChunk chunk(int index, Delta delta, @Nullable String finish) {
    return new ChatChunk(
        "chatcmpl-7", 1700L, "m", null, List.of(new Choice(index, delta, finish, null)), null);
  }

  private static Delta calls(ToolCallDelta... deltas) {
    return new Delta(null, null, null, List.of(deltas), null);
  }

  private static Delta content(String text) {
    return new Delta(null, text, null, null, null);
  }

  private static ChatCompletion fold(List<ChatChunk> chunks) {
    var agg = new ChatAggregator();
    chunks.forEach(agg);
    return agg.result();
  }

  /**
   * Two parallel calls whose fragments arrive interleaved in many different orders (each call's own
   * fragments stay in order, as on the wire): the result is always the same two whole calls,
   * ordered by index.
   */
  @ParameterizedTest
  @ValueSource(longs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
  void interleavedParallelToolCallsFoldByIndex(long seed) {
    Deque<ToolCallDelta> weather =
        new ArrayDeque<>(
            List.of(
                new ToolCallDelta(0, "call_a", "get_weather", ""),
                new ToolCallDelta(0, null, null, "{\"ci"),
                new ToolCallDelta(0, null, null, "ty\": \"Par"),
                new ToolCallDelta(0, null, null, "is\"}")));
    Deque<ToolCallDelta> time =
        new ArrayDeque<>(
            List.of(
                new ToolCallDelta(1, "call_b", "get_", null),
                new ToolCallDelta(1, null, "time", "{\"tz\":"),
                new ToolCallDelta(1, null, null, "\"UTC\"}")));
    var rnd = new Random(seed);
    var chunks = new ArrayList<ChatChunk>();
    chunks.add(chunk(0, new Delta("assistant", null, null, null, null), null));
    while (!weather.isEmpty() || !time.isEmpty()) {
      // Sometimes both calls' fragments share one chunk, in either order.
      var inChunk = new ArrayList<ToolCallDelta>();
      int take = 1 + rnd.nextInt(2);
      for (int i = 0; i < take; i++) {
        Deque<ToolCallDelta> from =
            weather.isEmpty()
                ? time
                : time.isEmpty() ? weather : rnd.nextBoolean() ? weather : time;
        if (!from.isEmpty()) {
          inChunk.add(from.removeFirst());
        }
      }
      chunks.add(chunk(0, calls(inChunk.toArray(ToolCallDelta[]::new)), null));
    }
    chunks.add(chunk(0, Delta.EMPTY, "tool_calls"));
    chunks.add(
        new ChatChunk("chatcmpl-7", 1700L, "m", null, List.of(), new Usage(30, 12, null, null)));

    ChatCompletion c = fold(chunks);

    assertThat(c.id()).isEqualTo("chatcmpl-7");
    assertThat(c.usage()).isEqualTo(new Usage(30, 12, null, null));
    assertThat(c.choices()).hasSize(1);
    ChatCompletion.Choice choice = c.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo("tool_calls");
    assertThat(choice.message().text()).isNull();
    assertThat(choice.message().toolCalls())
        .containsExactly(
            new ToolCall("call_a", "get_weather", "{\"city\": \"Paris\"}"),
            new ToolCall("call_b", "get_time", "{\"tz\":\"UTC\"}"));
  }

  @Test
  void callsAreOrderedByIndexNotArrival() {
    ChatCompletion c =
        fold(
            List.of(
                chunk(0, calls(new ToolCallDelta(5, "call_z", "z", "{}")), null),
                chunk(0, calls(new ToolCallDelta(2, null, "y", "[]")), null)));
    assertThat(c.choices().get(0).message().toolCalls())
        .containsExactly(new ToolCall("call_2", "y", "[]"), new ToolCall("call_z", "z", "{}"));
    assertThat(c.choices().get(0).finishReason())
        .as("no finish reason sent, but calls were made")
        .isEqualTo("tool_calls");
  }

  @Test
  void theFirstIdOfACallSticks() {
    ChatCompletion c =
        fold(
            List.of(
                chunk(0, calls(new ToolCallDelta(0, "call_1", "f", "")), null),
                chunk(0, calls(new ToolCallDelta(0, "call_1", null, "{}")), null)));
    assertThat(c.choices().get(0).message().toolCalls())
        .containsExactly(new ToolCall("call_1", "f", "{}"));
  }

  @Test
  void contentReasoningAndRefusalAreConcatenated() {
    ChatCompletion c =
        fold(
            List.of(
                chunk(0, new Delta("assistant", "", "Let me ", null, null), null),
                chunk(0, new Delta(null, null, "think.", null, null), null),
                chunk(0, content("Hello"), null),
                chunk(0, content(", "), null),
                chunk(0, new Delta(null, "world", null, null, "no"), null),
                chunk(0, Delta.EMPTY, "length")));
    ChatMessage m = c.choices().get(0).message();
    assertThat(m.role()).isEqualTo("assistant");
    assertThat(m.text()).isEqualTo("Hello, world");
    assertThat(m.reasoning()).isEqualTo("Let me think.");
    assertThat(m.refusal()).isEqualTo("no");
    assertThat(m.toolCalls()).isNull();
    assertThat(c.choices().get(0).finishReason()).isEqualTo("length");
    assertThat(c.usage()).isNull();
  }

  @Test
  void contentBesideToolCallsIsKept() {
    ChatCompletion c =
        fold(
            List.of(
                chunk(0, content("Checking."), null),
                chunk(0, calls(new ToolCallDelta(0, "c", "f", "{}")), "tool_calls")));
    assertThat(c.choices().get(0).message().text()).isEqualTo("Checking.");
    assertThat(c.choices().get(0).message().toolCalls()).hasSize(1);
  }

  @Test
  void severalChoicesInterleavedComeOutByIndex() {
    ChatCompletion c =
        fold(
            List.of(
                chunk(1, content("B1"), null),
                chunk(0, content("A1"), null),
                chunk(1, content("B2"), "stop"),
                chunk(0, content("A2"), null),
                chunk(0, Delta.EMPTY, "length")));
    assertThat(c.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0, 1);
    assertThat(c.choices()).extracting(ch -> ch.message().text()).containsExactly("A1A2", "B1B2");
    assertThat(c.choices())
        .extracting(ChatCompletion.Choice::finishReason)
        .containsExactly("length", "stop");
  }

  @Test
  void lastFinishReasonAndLastUsageWin() {
    // SiliconFlow sends a cumulative usage object on every chunk: take the last, never sum.
    var first =
        new ChatChunk(
            "a",
            1,
            "m1",
            "fp_1",
            List.of(new Choice(0, content("x"), null, null)),
            new Usage(5, 1, null, null));
    var second =
        new ChatChunk(
            "b",
            2,
            "m2",
            null,
            List.of(new Choice(0, content("y"), "stop", null)),
            new Usage(5, 2, 3, null));
    ChatCompletion c = fold(List.of(first, second));
    assertThat(c.usage()).isEqualTo(new Usage(5, 2, 3, null));
    assertThat(c.id()).isEqualTo("a");
    assertThat(c.created()).isEqualTo(1);
    assertThat(c.model()).isEqualTo("m1");
    assertThat(c.systemFingerprint()).isEqualTo("fp_1");
    assertThat(c.choices().get(0).finishReason()).isEqualTo("stop");
  }

  @Test
  void nothingFoldsToOneEmptyStoppedChoice() {
    ChatCompletion c = new ChatAggregator().result();
    assertThat(c.id()).isEmpty();
    assertThat(c.choices()).hasSize(1);
    assertThat(c.choices().get(0).message().text()).isEmpty();
    assertThat(c.choices().get(0).finishReason()).isEqualTo("stop");
  }

  @Test
  void logprobsContentIsAppended() {
    var a =
        new ChatChunk(
            "i",
            0,
            "m",
            null,
            List.of(
                new Choice(
                    0, content("a"), null, json("{'content':[{'token':'a'}],'refusal':null}"))),
            null);
    var b =
        new ChatChunk(
            "i",
            0,
            "m",
            null,
            List.of(
                new Choice(
                    0, content("b"), null, json("{'content':[{'token':'b'}],'refusal':[]}"))),
            null);
    ChatCompletion c = fold(List.of(a, b));
    assertThat(c.choices().get(0).logprobs())
        .isEqualTo(json("{'content':[{'token':'a'},{'token':'b'}],'refusal':[]}"));
    // The chunk's own logprobs node is not modified by the merge.
    assertThat(a.choices().get(0).logprobs())
        .isEqualTo(json("{'content':[{'token':'a'}],'refusal':null}"));
  }

  /** Upstream SSE data lines, read and folded, then written as the non-streaming answer. */
  @Test
  void foldsARealStreamIntoTheExactCompletion() {
    String[] lines = {
      "{'id':'chatcmpl-9','object':'chat.completion.chunk','created':1,'model':'deepseek-chat',"
          + "'choices':[{'index':0,'delta':{'role':'assistant','content':''},'finish_reason':''}]}",
      "{'id':'chatcmpl-9','created':1,'model':'deepseek-chat','choices':[{'index':0,"
          + "'delta':{'reasoning_content':'hm'},'finish_reason':''}]}",
      "{'id':'chatcmpl-9','created':1,'model':'deepseek-chat','choices':[{'index':0,"
          + "'delta':{'content':'4'},'finish_reason':null}]}",
      "{'id':'chatcmpl-9','created':1,'model':'deepseek-chat','choices':[{'index':0,"
          + "'delta':{},'finish_reason':'stop'}],'usage':{'prompt_tokens':9,'completion_tokens':3,"
          + "'prompt_cache_hit_tokens':8}}"
    };
    var agg = new ChatAggregator();
    for (String l : lines) {
      agg.accept(ChatChunkCodec.readChunk(json(l), "reasoning_content"));
    }
    assertThat(new String(ChatChunkCodec.writeCompletion(agg.result()), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion\",\"created\":1,"
                + "\"model\":\"deepseek-chat\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"4\",\"reasoning_content\":\"hm\","
                + "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12,"
                + "\"prompt_tokens_details\":{\"cached_tokens\":8}}}");
  }
}

package dev.shelf.api;

import static dev.shelf.api.TestJson.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.Delta;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.ChatMessage.ToolCall;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChatChunkCodecTest {

  private static ChatChunk read(String json, String reasoningField) {
    return ChatChunkCodec.readChunk(json(json), reasoningField);
  }

  private static Choice only(ChatChunk c) {
    assertThat(c.choices()).hasSize(1);
    return c.choices().get(0);
  }

  private static String written(ChatChunk c) {
    return new String(ChatChunkCodec.writeChunk(c), StandardCharsets.UTF_8);
  }

  @Test
  void readsAnOpenAiChunk() {
    ChatChunk c =
        read(
            "{'id':'chatcmpl-1','object':'chat.completion.chunk','created':1700000000,"
                + "'model':'gpt-4o','system_fingerprint':'fp_9','choices':[{'index':0,"
                + "'delta':{'role':'assistant','content':'Hel'},'logprobs':null,"
                + "'finish_reason':null}]}",
            "reasoning_content");
    assertThat(c.id()).isEqualTo("chatcmpl-1");
    assertThat(c.created()).isEqualTo(1700000000L);
    assertThat(c.model()).isEqualTo("gpt-4o");
    assertThat(c.systemFingerprint()).isEqualTo("fp_9");
    assertThat(c.usage()).isNull();
    assertThat(only(c))
        .isEqualTo(new Choice(0, new Delta("assistant", "Hel", null, null, null), null, null));
  }

  /** DeepSeek, Qwen, vLLM (old) send reasoning_content; OpenRouter, Groq, Ollama send reasoning. */
  @ParameterizedTest(name = "wire field {0}, preset field {1}")
  @CsvSource({
    "reasoning_content, reasoning_content",
    "reasoning_content, reasoning",
    "reasoning, reasoning",
    "reasoning, reasoning_content"
  })
  void readsReasoningFromEitherField(String wireField, String presetField) {
    ChatChunk c =
        read(
            "{'id':'x','choices':[{'index':0,'delta':{'" + wireField + "':'think'}}]}",
            presetField);
    assertThat(only(c).delta().reasoning()).isEqualTo("think");
    assertThat(only(c).delta().content()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"reasoning_content", "reasoning"})
  void thePresetsReasoningFieldWinsWhenBothAreSent(String presetField) {
    ChatChunk c =
        read("{'choices':[{'delta':{'reasoning_content':'A','reasoning':'B'}}]}", presetField);
    assertThat(only(c).delta().reasoning())
        .isEqualTo(presetField.equals("reasoning_content") ? "A" : "B");
  }

  /** Baichuan sends finish_reason "" on every chunk but the last. */
  @Test
  void baichuanEmptyFinishReasonIsNull() {
    ChatChunk mid =
        read("{'choices':[{'index':0,'delta':{'content':'a'},'finish_reason':''}]}", "reasoning");
    ChatChunk last =
        read("{'choices':[{'index':0,'delta':{},'finish_reason':'stop'}]}", "reasoning");
    assertThat(only(mid).finishReason()).isNull();
    assertThat(only(last).finishReason()).isEqualTo("stop");
    assertThat(only(last).delta()).isEqualTo(Delta.EMPTY);
  }

  /** Moonshot puts stream usage in choices[0].usage, not at the top level. */
  @Test
  void moonshotUsageInsideTheChoice() {
    ChatChunk c =
        read(
            "{'id':'cmpl-1','choices':[{'index':0,'delta':{},'finish_reason':'stop',"
                + "'usage':{'prompt_tokens':19,'completion_tokens':7,'total_tokens':26}}]}",
            "reasoning_content");
    assertThat(c.usage()).isEqualTo(new Usage(19, 7, null, null));
    assertThat(only(c).finishReason()).isEqualTo("stop");
  }

  @Test
  void topLevelUsageWinsOverChoiceUsage() {
    ChatChunk c =
        read(
            "{'usage':{'prompt_tokens':1,'completion_tokens':2},"
                + "'choices':[{'delta':{},'usage':{'prompt_tokens':9,'completion_tokens':9}}]}",
            "reasoning_content");
    assertThat(c.usage()).isEqualTo(new Usage(1, 2, null, null));
  }

  /** DeepSeek reports cache hits as prompt_cache_hit_tokens. */
  @Test
  void deepSeekCacheHitTokens() {
    ChatChunk c =
        read(
            "{'choices':[],'usage':{'prompt_tokens':100,'completion_tokens':20,"
                + "'total_tokens':120,'prompt_cache_hit_tokens':64,'prompt_cache_miss_tokens':36,"
                + "'completion_tokens_details':{'reasoning_tokens':12}}}",
            "reasoning_content");
    assertThat(c.choices()).isEmpty();
    assertThat(c.usage()).isEqualTo(new Usage(100, 20, 64, 12));
  }

  @Test
  void openAiCachedTokensWinOverDeepSeekField() {
    assertThat(
            ChatChunkCodec.readUsage(
                json(
                    "{'prompt_tokens':10,'completion_tokens':1,"
                        + "'prompt_tokens_details':{'cached_tokens':8},'prompt_cache_hit_tokens':3}")))
        .isEqualTo(new Usage(10, 1, 8, null));
    assertThat(ChatChunkCodec.readUsage(json("[1]"))).isNull();
    assertThat(ChatChunkCodec.readUsage(null)).isNull();
  }

  @Test
  void toolCallDeltasWithAndWithoutIndex() {
    ChatChunk c =
        read(
            "{'choices':[{'delta':{'tool_calls':["
                + "{'index':1,'id':'call_b','type':'function','function':{'name':'g','arguments':''}},"
                + "{'function':{'arguments':{'a':1}}},"
                + "{'function':{'arguments':null}}]}}]}",
            "reasoning_content");
    assertThat(only(c).delta().toolCalls())
        .containsExactly(
            new ToolCallDelta(1, "call_b", "g", ""),
            new ToolCallDelta(1, null, null, "{\"a\":1}"), // no index: position 1
            new ToolCallDelta(2, null, null, null));
  }

  /** Some servers answer a stream request's last chunk with a whole message instead of a delta. */
  @Test
  void messageInsteadOfDelta() {
    ChatChunk c =
        read(
            "{'choices':[{'index':0,'message':{'role':'assistant','content':'all'},"
                + "'finish_reason':'stop'}]}",
            "reasoning_content");
    assertThat(only(c).delta()).isEqualTo(new Delta("assistant", "all", null, null, null));
  }

  @Test
  void missingFieldsGetDefaults() {
    ChatChunk c = read("{'choices':[{'delta':null}]}", "reasoning_content");
    assertThat(c.id()).isEmpty();
    assertThat(c.model()).isEmpty();
    assertThat(c.created()).isZero();
    assertThat(c.systemFingerprint()).isNull();
    assertThat(only(c)).isEqualTo(new Choice(0, Delta.EMPTY, null, null));
  }

  @Test
  void readsAWholeMessage() {
    ChatMessage m =
        ChatChunkCodec.readMessage(
            json(
                "{'content':null,'reasoning':'r','tool_calls':[{'id':'c1','function':"
                    + "{'name':'f','arguments':'{}'}},{'function':{'name':'g'}}]}"),
            "reasoning");
    assertThat(m.role()).isEqualTo("assistant");
    assertThat(m.text()).isNull();
    assertThat(m.reasoning()).isEqualTo("r");
    assertThat(m.toolCalls())
        .containsExactly(new ToolCall("c1", "f", "{}"), new ToolCall("call_1", "g", ""));
  }

  @Test
  void writesAContentChunkExactly() {
    var c =
        new ChatChunk(
            "chatcmpl-1",
            1700000000L,
            "gpt-4o",
            "fp_1",
            List.of(
                new Choice(
                    0, new Delta("assistant", "Hi \"you\"", "think", null, null), null, null)),
            null);
    assertThat(written(c))
        .isEqualTo(
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"gpt-4o\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"role\":\"assistant\",\"content\":\"Hi \\\"you\\\"\","
                + "\"reasoning_content\":\"think\"},\"logprobs\":null,\"finish_reason\":null}]}");
  }

  @Test
  void writesToolCallDeltasExactly() {
    var c =
        new ChatChunk(
            "c",
            1L,
            "m",
            null,
            List.of(
                new Choice(
                    0,
                    new Delta(
                        null,
                        null,
                        null,
                        List.of(
                            new ToolCallDelta(0, "call_1", "f", ""),
                            new ToolCallDelta(1, null, null, "{\"a\"")),
                        null),
                    "tool_calls",
                    json("{'content':[]}"))),
            null);
    assertThat(written(c))
        .isEqualTo(
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":["
                + "{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}},"
                + "{\"index\":1,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]},"
                + "\"logprobs\":{\"content\":[]},\"finish_reason\":\"tool_calls\"}]}");
  }

  @Test
  void writesAUsageChunkExactly() {
    var c = new ChatChunk("c", 2L, "m", null, List.of(), new Usage(10, 5, 4, 2));
    assertThat(written(c))
        .isEqualTo(
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":2,\"model\":\"m\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"
                + "\"total_tokens\":15,\"prompt_tokens_details\":{\"cached_tokens\":4},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}");
  }

  @Test
  void writesACompletionExactly() {
    var message =
        new ChatMessage(
            "assistant",
            null,
            null,
            null,
            List.of(new ToolCall("call_1", "f", "{}")),
            null,
            "why",
            null,
            null);
    var c =
        new ChatCompletion(
            "id1",
            3L,
            "m",
            null,
            List.of(new ChatCompletion.Choice(0, message, "tool_calls", null)),
            new Usage(1, 2, null, null));
    assertThat(new String(ChatChunkCodec.writeCompletion(c), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"id\":\"id1\",\"object\":\"chat.completion\",\"created\":3,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
                + "\"reasoning_content\":\"why\",\"refusal\":null,\"tool_calls\":[{\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                + "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}");
  }

  /** Whatever we write, we read back the same (finish_reason "" aside, which reads as null). */
  @ParameterizedTest
  @ValueSource(longs = {7L, 8L, 9L})
  void writeThenReadIsIdentity(long seed) {
    var rnd = new Random(seed);
    for (int i = 0; i < 500; i++) {
      ChatChunk c = randomChunk(rnd);
      ChatChunk back =
          ChatChunkCodec.readChunk(Json.parse(ChatChunkCodec.writeChunk(c)), "reasoning_content");
      assertThat(back).isEqualTo(c);
    }
  }

  private static @Nullable String maybe(Random rnd, String... options) {
    int i = rnd.nextInt(options.length + 1);
    return i == options.length ? null : options[i];
  }

  private static ChatChunk randomChunk(Random rnd) {
    var choices = new ArrayList<Choice>();
    int n = rnd.nextInt(3);
    for (int i = 0; i < n; i++) {
      List<ToolCallDelta> calls = null;
      if (rnd.nextBoolean()) {
        calls = new ArrayList<>();
        int k = rnd.nextInt(3);
        for (int j = 0; j < k; j++) {
          calls.add(
              new ToolCallDelta(
                  rnd.nextInt(4),
                  maybe(rnd, "call_1", "call_\u00e9"),
                  maybe(rnd, "f", ""),
                  maybe(rnd, "", "{\"a\":", "\n\t\"")));
        }
      }
      var delta =
          new Delta(
              maybe(rnd, "assistant"),
              maybe(rnd, "", "hello", "\u4f60\u597d \ud83d\ude42", "line\nbreak"),
              maybe(rnd, "", "think"),
              calls,
              maybe(rnd, "no"));
      choices.add(
          new Choice(
              rnd.nextInt(3),
              delta,
              maybe(rnd, "stop", "length", "tool_calls", "content_filter"),
              rnd.nextBoolean() ? null : json("{'content':[{'token':'a','logprob':-0.5}]}")));
    }
    Usage usage =
        rnd.nextBoolean()
            ? null
            : new Usage(
                rnd.nextInt(1000),
                rnd.nextInt(1000),
                rnd.nextBoolean() ? null : rnd.nextInt(10),
                rnd.nextBoolean() ? null : rnd.nextInt(10));
    return new ChatChunk(
        "id-" + rnd.nextInt(100),
        rnd.nextLong(),
        rnd.nextBoolean() ? "m" : "qwen/qwen3-8b",
        maybe(rnd, "fp"),
        choices,
        usage);
  }
}

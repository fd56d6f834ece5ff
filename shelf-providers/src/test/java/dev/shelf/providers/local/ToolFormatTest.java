package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.template.ChatTemplate;
import dev.shelf.providers.local.ToolFormat.Call;
import dev.shelf.providers.local.ToolFormat.Parsed;
import dev.shelf.providers.testing.ScriptedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reading tool calls out of model text in each format, and holding back what may become one while
 * the rest streams.
 */
class ToolFormatTest {
  static final Call WEATHER = new Call("get_weather", "{\"city\":\"Paris\"}");

  @Test
  void eachSharedTemplateHasItsFormat() throws IOException {
    assertThat(format("Qwen-Qwen2.5-7B-Instruct.jinja")).isEqualTo(ToolFormat.HERMES);
    assertThat(format("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja"))
        .isEqualTo(ToolFormat.HERMES);
    assertThat(format("meta-llama-Llama-3.1-8B-Instruct.jinja")).isEqualTo(ToolFormat.LLAMA3);
    assertThat(format("meta-llama-Llama-3.2-3B-Instruct.jinja")).isEqualTo(ToolFormat.LLAMA3);
    assertThat(format("meta-llama-Llama-3.3-70B-Instruct.jinja")).isEqualTo(ToolFormat.LLAMA3);
    assertThat(format("mistralai-Mistral-Nemo-Instruct-2407.jinja")).isEqualTo(ToolFormat.MISTRAL);
    assertThat(format("fireworks-ai-llama-3-firefunction-v2.jinja")).isEqualTo(ToolFormat.GENERIC);
    assertThat(format("llama-cpp-deepseek-r1.jinja")).isEqualTo(ToolFormat.DEEPSEEK_R1);
    assertThat(format("meetkai-functionary-medium-v3.1.jinja")).isEqualTo(ToolFormat.FUNCTIONARY);
    assertThat(format("meetkai-functionary-medium-v3.2.jinja"))
        .isEqualTo(ToolFormat.FUNCTIONARY_V32);
    assertThat(format("CohereForAI-c4ai-command-r-plus-tool_use.jinja"))
        .isEqualTo(ToolFormat.GENERIC);
    // DeepSeek's distills render no tools: Shelf's Hermes instructions
    assertThat(format("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"))
        .isEqualTo(ToolFormat.HERMES);
    // no tools in the template: Shelf's Hermes instructions
    assertThat(format("google-gemma-2-2b-it.jinja")).isEqualTo(ToolFormat.HERMES);
    assertThat(ToolFormat.takesTools(template("google-gemma-2-2b-it.jinja"))).isFalse();
    assertThat(ToolFormat.of(ChatTemplate.fallback())).isEqualTo(ToolFormat.HERMES);
    assertThat(ToolFormat.takesTools(ChatTemplate.fallback())).isFalse();
  }

  /** The calls in {@code text}, which must hold some. */
  static Parsed parsed(ToolFormat format, String text) {
    Parsed p = format.parse(text);
    assertThat(p).as(text).isNotNull();
    return java.util.Objects.requireNonNull(p);
  }

  static ChatTemplate template(String file) throws IOException {
    return ChatTemplate.of(file, ScriptedModel.sharedTemplate(file));
  }

  static ToolFormat format(String file) throws IOException {
    return ToolFormat.of(template(file));
  }

  @Test
  void hermesBlocksAfterContent() {
    Parsed p =
        parsed(
            ToolFormat.HERMES,
            "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>");
    assertThat(p.content()).isEqualTo("Sure.\n");
    assertThat(p.calls()).containsExactly(WEATHER, new Call("get_time", "{}"));
  }

  @Test
  void aHermesBlockMayLackItsClosingTagAndTakeArgumentsAsText() {
    Parsed p =
        parsed(
            ToolFormat.HERMES,
            "<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}");
    assertThat(p.calls()).containsExactly(WEATHER);
  }

  @Test
  void textThatIsNoCallIsNull() {
    assertThat(ToolFormat.HERMES.parse("It is sunny in Paris.")).isNull();
    assertThat(ToolFormat.HERMES.parse("<tool_call>\n{\"name\": \"get_weather\", \"argu")).isNull();
    assertThat(ToolFormat.HERMES.parse("<tool_call>\n{\"arguments\": {}}\n</tool_call>")).isNull();
    assertThat(ToolFormat.HERMES.parse("{\"name\": \"get_weather\"}"))
        .as("Hermes needs tags")
        .isNull();
    assertThat(ToolFormat.LLAMA3.parse("{\"city\": \"Paris\"}")).as("no name").isNull();
    assertThat(ToolFormat.LLAMA3.parse("{\"name\": \"x\", \"parameters\": {}} and more")).isNull();
    assertThat(ToolFormat.LLAMA3.parse("[1, 2]")).isNull();
    assertThat(ToolFormat.MISTRAL.parse("[]")).isNull();
    assertThat(ToolFormat.GENERIC.parse("fine, thanks")).isNull();
    assertThat(ToolFormat.GENERIC.parse("   ")).isNull();
  }

  @Test
  void llamaJsonWithParametersOneOrSeveral() {
    Parsed p =
        parsed(
            ToolFormat.LLAMA3,
            " {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}; "
                + "{\"type\": \"function\", \"name\": \"get_time\", \"parameters\": {}}");
    assertThat(p.content()).isEmpty();
    assertThat(p.calls()).containsExactly(WEATHER, new Call("get_time", "{}"));
  }

  @Test
  void mistralArraysAndFireFunctionsFunctools() {
    Parsed mistral =
        parsed(
            ToolFormat.MISTRAL,
            "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abc123def\"}]");
    assertThat(mistral.calls()).containsExactly(WEATHER);
    Parsed fire =
        parsed(
            ToolFormat.GENERIC,
            " functools[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]");
    assertThat(fire.calls()).containsExactly(WEATHER);
    Parsed openAiShape =
        parsed(
            ToolFormat.GENERIC,
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\":"
                + " {\"city\": \"Paris\"}}}");
    assertThat(openAiShape.calls()).containsExactly(WEATHER);
  }

  @Test
  void aSemicolonInsideAStringIsNoSeparator() {
    assertThat(ToolFormat.separatorsToSpaces("{\"a\": \"x;y\\\";\"}; {\"b\": [1;2]}"))
        .isEqualTo("{\"a\": \"x;y\\\";\"}  {\"b\": [1;2]}");
  }

  @Test
  void forcedCallsOpenInEachFormatAndCloseAfterTheirArguments() {
    List<String> names = List.of("get_weather", "get_time");
    ToolFormat.Forced hermes = ToolFormat.HERMES.forced("get_weather", null, names);
    assertThat(hermes.prompt())
        .isEqualTo("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ");
    assertThat(hermes.text()).isEqualTo(hermes.prompt());
    assertThat(hermes.suffix()).isEqualTo("}\n</tool_call>");
    ToolFormat.Forced llama = ToolFormat.LLAMA3.forced("get_weather", null, names);
    assertThat(llama.prompt()).isEqualTo("{\"name\": \"get_weather\", \"parameters\": ");
    assertThat(llama.suffix()).isEqualTo("}");
    ToolFormat.Forced mistral = ToolFormat.MISTRAL.forced(null, null, names);
    assertThat(mistral.prompt()).isEqualTo("[TOOL_CALLS][");
    assertThat(mistral.text()).isEqualTo("[");
    assertThat(mistral.suffix()).isEqualTo("]");
    // what the grammar lets the model write after the opening parses as the call
    String args = "{\"city\": \"Paris\"}";
    assertThat(ToolFormat.LLAMA3.parse(llama.text() + args + llama.suffix()))
        .isEqualTo(new Parsed("", List.of(WEATHER)));
    assertThat(ToolFormat.HERMES.parse(hermes.text() + args + hermes.suffix()))
        .isEqualTo(new Parsed("", List.of(WEATHER)));
    assertThat(
            ToolFormat.MISTRAL.parse(
                mistral.text()
                    + "{\"name\": \"get_weather\", \"arguments\": "
                    + args
                    + "}"
                    + mistral.suffix()))
        .isEqualTo(new Parsed("", List.of(WEATHER)));
  }

  static final String R1_CALL =
      "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```"
          + "<｜tool▁call▁end｜>";

  @Test
  void deepSeekBlocksFencedOrNotAndCutShort() {
    Parsed p =
        parsed(
            ToolFormat.DEEPSEEK_R1,
            "Let me look.<｜tool▁calls▁begin｜>"
                + R1_CALL
                + "\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{}\n```"
                + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
    assertThat(p.content()).isEqualTo("Let me look.");
    assertThat(p.calls()).containsExactly(WEATHER, new Call("get_time", "{}"));
    // no fence, and the model stopped before the closing tokens
    assertThat(
            parsed(
                    ToolFormat.DEEPSEEK_R1,
                    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
                        + "{\"city\": \"Paris\"}")
                .calls())
        .containsExactly(WEATHER);
    // the tokens as models also spell them: spaces, underscores, escaped underscores
    assertThat(
            parsed(
                    ToolFormat.DEEPSEEK_R1,
                    "<｜tool calls begin｜><｜tool_call_begin｜>function<｜tool\\_sep｜>get_weather\n"
                        + "{\"city\": \"Paris\"}<｜tool call end｜><｜tool calls end｜>")
                .calls())
        .containsExactly(WEATHER);
    // a call object in the block (how a forced choice among tools is written)
    assertThat(
            parsed(
                    ToolFormat.DEEPSEEK_R1,
                    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>{\"name\": \"get_weather\","
                        + " \"arguments\": {\"city\": \"Paris\"}}<｜tool▁call▁end｜>")
                .calls())
        .containsExactly(WEATHER);
    // two blocks: the calls of both
    assertThat(
            parsed(
                    ToolFormat.DEEPSEEK_R1,
                    "<｜tool▁calls▁begin｜>"
                        + R1_CALL
                        + "<｜tool▁calls▁end｜>\n<｜tool▁calls｜>"
                        + R1_CALL
                        + "<｜tool▁calls▁end｜>")
                .calls())
        .containsExactly(WEATHER, WEATHER);
    // cut short (max_tokens) in the name or before the arguments: no call, the text is content
    assertThat(
            ToolFormat.DEEPSEEK_R1.parse(
                "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_wea"))
        .isNull();
    assertThat(
            ToolFormat.DEEPSEEK_R1.parse(
                "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json"))
        .isNull();
    // broken arguments, a name with a space, text between calls: no call, all content
    assertThat(ToolFormat.DEEPSEEK_R1.parse("<｜tool▁calls▁begin｜>" + R1_CALL.replace("}", "")))
        .isNull();
    assertThat(
            ToolFormat.DEEPSEEK_R1.parse(
                "<｜tool▁calls▁begin｜>" + R1_CALL.replace("get_weather", "get weather")))
        .isNull();
    assertThat(ToolFormat.DEEPSEEK_R1.parse("<｜tool▁calls▁begin｜>" + R1_CALL + "and" + R1_CALL))
        .isNull();
  }

  @Test
  void functionaryTagsAndCommandRActions() {
    Parsed p =
        parsed(
            ToolFormat.FUNCTIONARY,
            "Sure. <function=get_weather>{\"city\": \"Paris\"}</function>"
                + "<function=get_time>{}</function>");
    assertThat(p.content()).isEqualTo("Sure. ");
    assertThat(p.calls()).containsExactly(WEATHER, new Call("get_time", "{}"));
    assertThat(ToolFormat.FUNCTIONARY.parse("<function=get_weather>{\"city\":")).isNull();
    assertThat(ToolFormat.FUNCTIONARY.parse("<function=get_weather>")).isNull();
    assertThat(parsed(ToolFormat.FUNCTIONARY, "<function=get_time></function>").calls())
        .containsExactly(new Call("get_time", "{}"));
    assertThat(ToolFormat.FUNCTIONARY.parse("<function=get_weather>{\"a\": 1} {\"b\":")).isNull();
    List<Call> split = new ArrayList<>();
    assertThat(
            stream(
                ToolFormat.FUNCTIONARY,
                "",
                List.of("Sure. <func", "tion=get_weather>", "{\"city\": \"Paris\"}</function>"),
                split))
        .containsExactly("Sure.");
    assertThat(split).containsExactly(WEATHER);
    // Command R+: Action: and a fenced list; Command R7B: a list with tool_name and parameters
    String list = "[{\"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}]";
    assertThat(parsed(ToolFormat.GENERIC, "Action:\n```json\n" + list + "\n```").calls())
        .containsExactly(WEATHER);
    assertThat(parsed(ToolFormat.GENERIC, list).calls()).containsExactly(WEATHER);
    // Command R+'s built-in way of answering without a tool is no call
    assertThat(
            ToolFormat.GENERIC.parse(
                "Action:\n```json\n[{\"tool_name\": \"directly-answer\", \"parameters\": {}}]\n```"))
        .isNull();
    List<Call> calls = new ArrayList<>();
    assertThat(
            stream(ToolFormat.GENERIC, "", List.of("Act", "ion:\n```json\n", list, "\n```"), calls))
        .isEmpty();
    assertThat(calls).containsExactly(WEATHER);
    assertThat(stream(ToolFormat.GENERIC, "", List.of("Act", "ually, no."), calls))
        .containsExactly("Actually, no.");
  }

  @Test
  void forcedDeepSeekAndFunctionaryCallsParse() {
    List<String> names = List.of("get_weather", "get_time");
    String args = "{\"city\": \"Paris\"}";
    for (ToolFormat f :
        List.of(ToolFormat.DEEPSEEK_R1, ToolFormat.FUNCTIONARY, ToolFormat.FUNCTIONARY_V32)) {
      ToolFormat.Forced named = f.forced("get_weather", null, names);
      assertThat(named.prompt()).isEqualTo(named.text());
      assertThat(f.parse(named.text() + args + named.suffix()))
          .as(f.name())
          .isEqualTo(new Parsed("", List.of(WEATHER)));
      ToolFormat.Forced any = f.forced(null, null, names);
      assertThat(
              f.parse(
                  any.text()
                      + "{\"name\": \"get_weather\", \"arguments\": "
                      + args
                      + "}"
                      + any.suffix()))
          .as(f.name())
          .isEqualTo(new Parsed("", List.of(WEATHER)));
    }
    assertThat(ToolFormat.DEEPSEEK_R1.forced("get_weather", null, names).prompt())
        .isEqualTo(
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n");
    assertThat(ToolFormat.FUNCTIONARY.forced("get_weather", null, names).suffix())
        .isEqualTo("</function>");
  }

  @Test
  void functionaryV32SegmentsOfContentAndCalls() {
    ToolFormat f = ToolFormat.FUNCTIONARY_V32;
    Parsed p = parsed(f, "all\nSure.>>>get_weather\n{\"city\": \"Paris\"}");
    assertThat(p.content()).isEqualTo("Sure.");
    assertThat(p.calls()).containsExactly(WEATHER);
    assertThat(parsed(f, "get_weather\n{\"city\": \"Paris\"}>>>get_time\n{}").calls())
        .containsExactly(WEATHER, new Call("get_time", "{}"));
    assertThat(f.parse("all\nJust text")).isNull();
    assertThat(f.parse("get_wea")).isNull(); // cut short in the name
    assertThat(f.parse("get_weather\n{\"city\":")).isNull(); // or in the arguments
    // streamed: the recipient line is dropped, content goes out, a later segment is held
    List<Call> calls = new ArrayList<>();
    assertThat(
            stream(
                f,
                "",
                List.of("all", "\nIt is", " sunny.", ">>>get_weather\n", "{\"city\": \"Paris\"}"),
                calls))
        .containsExactly("It is", " sunny.");
    assertThat(calls).containsExactly(WEATHER);
    calls.clear();
    // the recipient line alone: no text (its token still goes out, for logprobs)
    assertThat(stream(f, "", List.of("all"), calls)).containsExactly("");
  }

  @Test
  void deepSeekContentStreamsWhileItsOpeningTokenMayBeBeginning() {
    List<Call> calls = new ArrayList<>();
    List<String> out =
        stream(
            ToolFormat.DEEPSEEK_R1,
            "",
            List.of("It is ", "sunny.<｜tool", "▁calls▁begin｜>", R1_CALL),
            calls);
    assertThat(out).containsExactly("It is", " sunny.");
    assertThat(calls).containsExactly(WEATHER);
  }

  /** Streams {@code pieces} through a {@link ToolCallStream}; returns the content emitted. */
  static List<String> stream(
      ToolFormat format, String forced, List<String> pieces, List<Call> calls) {
    List<String> out = new ArrayList<>();
    ToolCallStream s = new ToolCallStream(format, forced, (text, tokens) -> out.add(text));
    int offset = 0;
    for (String p : pieces) {
      s.emit(p, List.of(new Generation.Scored(0, null, offset)));
      offset += p.length();
    }
    calls.addAll(s.finish());
    return out;
  }

  @Test
  void contentStreamsWhileATagThatMayBeBeginningIsHeld() {
    List<Call> calls = new ArrayList<>();
    List<String> out =
        stream(
            ToolFormat.HERMES,
            "",
            List.of(
                "It is ",
                "a <to",
                "y> and <tool",
                "_call>{\"name\": \"get_weather\",",
                " \"arguments\": {\"city\": \"Paris\"}}"),
            calls);
    // white space before a possible call waits too: content does not end with it
    assertThat(out).containsExactly("It is", " a", " <toy> and");
    assertThat(calls).containsExactly(WEATHER);
  }

  @Test
  void aJsonAnswerIsHeldToTheEndAndSentWhenItIsNoCall() {
    List<Call> calls = new ArrayList<>();
    assertThat(stream(ToolFormat.LLAMA3, "", List.of("\n", "{\"city\"", ": 1}"), calls))
        .containsExactly("\n{\"city\": 1}");
    assertThat(calls).isEmpty();
    assertThat(stream(ToolFormat.LLAMA3, "", List.of(" ", "Hi", " there"), calls))
        .containsExactly(" Hi", " there");
  }

  @Test
  void aBrokenCallComesBackWithTheBlankBeforeIt() {
    List<Call> calls = new ArrayList<>();
    assertThat(
            String.join(
                "", stream(ToolFormat.HERMES, "", List.of("Hello\n<tool_call>{bad"), calls)))
        .isEqualTo("Hello\n<tool_call>{bad");
    assertThat(calls).isEmpty();
  }

  @Test
  void onlyFunctoolsIsHeldAmongAnswersBeginningWithF() {
    List<Call> calls = new ArrayList<>();
    // "first" parts from "functools" at its second letter: streamed at once
    assertThat(stream(ToolFormat.GENERIC, "", List.of("f", "irst, ", "then"), calls))
        .containsExactly("first,", " then");
    assertThat(
            stream(
                ToolFormat.GENERIC,
                "",
                List.of(
                    "func",
                    "tools[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]"),
                calls))
        .isEmpty();
    assertThat(calls).containsExactly(WEATHER);
  }

  @Test
  void heldTokensGoOutWithTheirText() {
    List<List<Generation.Scored>> tokens = new ArrayList<>();
    ToolCallStream s = new ToolCallStream(ToolFormat.HERMES, "", (t, ts) -> tokens.add(ts));
    s.emit("ab<", List.of(score(0)));
    s.emit("t", List.of(score(3)));
    s.emit("x", List.of(score(4)));
    s.finish();
    assertThat(tokens).hasSize(2);
    assertThat(tokens.get(0)).extracting(Generation.Scored::offset).containsExactly(0);
    assertThat(tokens.get(1)).extracting(Generation.Scored::offset).containsExactly(3, 4);
  }

  private static Generation.Scored score(int offset) {
    return new Generation.Scored(offset, null, offset);
  }
}

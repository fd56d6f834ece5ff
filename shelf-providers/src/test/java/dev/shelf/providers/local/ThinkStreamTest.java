package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Thinking split from the answer, whichever way the tags fall across tokens. */
class ThinkStreamTest {
  /** The reasoning and the answer {@code pieces} come out as. */
  static List<String> split(boolean open, String... pieces) {
    StringBuilder reasoning = new StringBuilder();
    StringBuilder answer = new StringBuilder();
    ThinkStream s = new ThinkStream(open, reasoning::append, (t, tokens) -> answer.append(t));
    for (String p : pieces) {
      s.emit(p, List.of());
    }
    s.finish();
    return List.of(reasoning.toString(), answer.toString());
  }

  @Test
  void aPromptThatOpensTheThinking() {
    assertThat(split(true, "Hmm, ", "cats</th", "ink>\n\n", "Cats purr."))
        .containsExactly("Hmm, cats", "Cats purr.");
    assertThat(split(true, "a <", "/b> c</think>x")).containsExactly("a </b> c", "x");
  }

  @Test
  void anAnswerThatOpensIt() {
    assertThat(split(false, "\n<thi", "nk>\nWell.</think>", "Yes."))
        .containsExactly("\nWell.", "Yes.");
    assertThat(split(false, "<", "b>old</b>")).containsExactly("", "<b>old</b>");
    assertThat(split(false, "Just an answer.")).containsExactly("", "Just an answer.");
  }

  @Test
  void thinkingCutShortIsAllThinking() {
    assertThat(split(true, "Still thinking </thi")).containsExactly("Still thinking </thi", "");
  }

  @Test
  void answerTokensKeepTheirLogprobs() {
    List<List<Generation.Scored>> seen = new ArrayList<>();
    ThinkStream s = new ThinkStream(false, t -> {}, (t, tokens) -> seen.add(tokens));
    s.emit("<", List.of(new Generation.Scored(1, null, 0)));
    s.emit("p>", List.of(new Generation.Scored(2, null, 1)));
    assertThat(seen).hasSize(1);
    assertThat(seen.getFirst()).extracting(Generation.Scored::id).containsExactly(1, 2);
  }

  @Test
  void answerTokensReachTheToolReaderWithTheirLogprobs() {
    List<String> texts = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    ToolCallStream tools =
        new ToolCallStream(
            ToolFormat.HERMES,
            "",
            (t, tokens) -> {
              texts.add(t);
              tokens.forEach(s -> ids.add(s.id()));
            });
    ThinkStream s = new ThinkStream(true, t -> {}, tools);
    s.emit("Hmm", List.of(new Generation.Scored(1, null, 0)));
    s.emit(
        "</think>\n\nAnswer",
        List.of(
            new Generation.Scored(2, null, 3),
            new Generation.Scored(3, null, 11),
            new Generation.Scored(4, null, 13)));
    s.emit(" more", List.of(new Generation.Scored(5, null, 19)));
    s.finish();
    tools.finish();
    assertThat(String.join("", texts)).isEqualTo("Answer more");
    // the answer's tokens, not the thinking's nor the tag's nor the blank line's
    assertThat(ids).containsExactly(4, 5);
  }
}

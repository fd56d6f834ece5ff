package dev.shelf.eval.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.eval.judge.Pairwise.Outcome;
import dev.shelf.eval.judge.Pairwise.Tally;
import dev.shelf.eval.judge.Pairwise.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The judge's prompts, the parsing of its replies and the combination of swapped verdicts. */
class JudgeParsingTest {
  @Test
  void aRatingIsTheLastDoubleBracketedNumberFromOneToTen() {
    assertThat(SingleGrading.parse("Good answer.\nRating: [[8]]")).isEqualTo(8);
    assertThat(SingleGrading.parse("[[10]]")).isEqualTo(10);
    assertThat(SingleGrading.parse("[[ 7 ]]")).isEqualTo(7);
    // the format quoted in the explanation first, the judge's own rating last
    assertThat(SingleGrading.parse("The format is \"[[5]]\". My rating: [[3]]")).isEqualTo(3);
    // brackets win over a bare "Rating: N"
    assertThat(SingleGrading.parse("Rating: 2 at first, on reflection [[6]]")).isEqualTo(6);
  }

  @Test
  void aBareRatingLabelIsAcceptedWithoutBrackets() {
    assertThat(SingleGrading.parse("Rating: 7")).isEqualTo(7);
    assertThat(SingleGrading.parse("rating:9\n")).isEqualTo(9);
    assertThat(SingleGrading.parse("Rating: 4/10")).isEqualTo(4);
  }

  @Test
  void noRatingOrOneOutOfRangeIsNoScore() {
    assertThat(SingleGrading.parse("I think it is fine.")).isNull();
    assertThat(SingleGrading.parse("")).isNull();
    assertThat(SingleGrading.parse("Rating: [[0]]")).isNull();
    assertThat(SingleGrading.parse("Rating: [[11]]")).isNull();
    assertThat(SingleGrading.parse("Rating: [[100]]")).isNull();
    assertThat(SingleGrading.parse("Rating: [[7.5]]")).isNull();
    assertThat(SingleGrading.parse("[[A]]")).isNull();
  }

  @Test
  void theSinglePromptShowsTheReferenceOnlyWhenThereIsOne() {
    String with = SingleGrading.prompt("What is 2+2?", "4", "Four.");
    assertThat(with)
        .contains("[Question]\nWhat is 2+2?")
        .contains("[Reference Answer]\nFour.")
        .contains("[The Start of the Assistant's Answer]\n4\n[The End of the Assistant's Answer]")
        .contains("\"Rating: [[N]]\"");
    assertThat(SingleGrading.prompt("What is 2+2?", "4", null)).doesNotContain("Reference");
  }

  @Test
  void aVerdictIsTheLastOfAbOrC() {
    assertThat(Pairwise.parse("A is better. [[A]]")).isEqualTo(Verdict.A);
    assertThat(Pairwise.parse("[[B]]")).isEqualTo(Verdict.B);
    assertThat(Pairwise.parse("Equal. [[C]]")).isEqualTo(Verdict.TIE);
    assertThat(Pairwise.parse("Format: [[A]], [[B]] or [[C]]. Verdict: [[B]]"))
        .isEqualTo(Verdict.B);
    assertThat(Pairwise.parse("A is better")).isNull();
    assertThat(Pairwise.parse("[[D]]")).isNull();
    assertThat(Pairwise.parse("[A]")).isNull();
    assertThatThrownBy(() -> Verdict.of('D')).hasMessageContaining("but was D");
  }

  @Test
  void theSwappedPromptShowsTheAnswersInTheOtherOrder() {
    String p = Pairwise.prompt("Q", "first answer", "second answer", null);
    assertThat(p.indexOf("first answer")).isLessThan(p.indexOf("second answer"));
    assertThat(p.indexOf("[The Start of Assistant A's Answer]"))
        .isLessThan(p.indexOf("first answer"));
    assertThat(p.indexOf("[The Start of Assistant B's Answer]"))
        .isBetween(p.indexOf("first answer"), p.indexOf("second answer"));
    assertThat(p).doesNotContain("Reference");
    assertThat(Pairwise.prompt("Q", "a", "b", "R")).contains("[Reference Answer]\nR");
  }

  @Test
  void aModelWinsOnlyWhenItWinsBothOrders() {
    assertThat(Pairwise.outcome(Verdict.A, Verdict.B)).isEqualTo(Outcome.WIN);
    assertThat(Pairwise.outcome(Verdict.B, Verdict.A)).isEqualTo(Outcome.LOSS);
    assertThat(Pairwise.outcome(Verdict.TIE, Verdict.TIE)).isEqualTo(Outcome.TIE);
    // position bias: the same slot twice
    assertThat(Pairwise.outcome(Verdict.A, Verdict.A)).isEqualTo(Outcome.INCONSISTENT);
    assertThat(Pairwise.outcome(Verdict.B, Verdict.B)).isEqualTo(Outcome.INCONSISTENT);
    // a tie in one order only
    assertThat(Pairwise.outcome(Verdict.A, Verdict.TIE)).isEqualTo(Outcome.INCONSISTENT);
    assertThat(Pairwise.outcome(Verdict.TIE, Verdict.A)).isEqualTo(Outcome.INCONSISTENT);
  }

  @Test
  void inconsistentVerdictsCountAsTiesAndErrorsAsNeither() {
    Tally t = Tally.empty("x", "y");
    for (Outcome o :
        List.of(Outcome.WIN, Outcome.WIN, Outcome.LOSS, Outcome.TIE, Outcome.INCONSISTENT)) {
      t = t.plus(o);
    }
    t = t.plus(null);
    assertThat(t).isEqualTo(new Tally("x", "y", 2, 1, 2, 1, 1));
    assertThat(t.judged()).isEqualTo(5);
    assertThat(t.winRate().successes()).isEqualTo(2);
    assertThat(t.winRate().total()).isEqualTo(5);
    assertThat(t.winRate().value()).isEqualTo(0.4);
  }

  @Test
  void scoresAreAveragedExactlyWithANormalInterval() {
    ScoreSummary s = ScoreSummary.of(List.of(9, 9, 9), 2);
    assertThat(s.mean()).isEqualTo(9.0);
    assertThat(s.low()).isEqualTo(9.0);
    assertThat(s.high()).isEqualTo(9.0);
    assertThat(s.errors()).isEqualTo(2);

    // 2, 4, 6, 8: mean 5, sample sd sqrt(20/3), half-width 1.96 * sd / 2
    ScoreSummary t = ScoreSummary.of(List.of(2, 4, 6, 8), 0);
    double half = 1.959963984540054 * Math.sqrt(20.0 / 3) / 2;
    assertThat(t.mean()).isEqualTo(5.0);
    assertThat(t.low()).isCloseTo(5 - half, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(t.high()).isCloseTo(5 + half, org.assertj.core.data.Offset.offset(1e-12));

    assertThat(ScoreSummary.of(List.of(7), 0).low()).isNaN();
    assertThat(ScoreSummary.of(List.of(), 3).mean()).isNaN();
  }
}

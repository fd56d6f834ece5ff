package dev.shelf.eval.score;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.eval.score.ChoiceExtractor.Rule;
import java.math.BigDecimal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExtractorsTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "B|B|STRICT_FIRST_LINE",
        "B.|B|STRICT_FIRST_LINE",
        "  (C) 40%|C|STRICT_FIRST_LINE",
        "D) none|D|STRICT_FIRST_LINE",
        "**A**|A|STRICT_FIRST_LINE",
        "B：正确|B|STRICT_FIRST_LINE",
        "Let me think.\\nThe answer is (C).|C|ANSWER_IS",
        "Answer: D|D|ANSWER_IS",
        "The answer is A, not B; final answer: **C**|C|ANSWER_IS",
        "根据法律规定，答案是：B|B|ANSWER_IS",
        "I think C is right|C|LAST_LETTER",
        "A cat sat|A|LAST_LETTER",
      })
  void lettersByRule(String response, char letter, Rule rule) {
    var found = requireNonNull(ChoiceExtractor.extract(response.replace("\\n", "\n"), 4));
    assertThat(found.letter()).isEqualTo(letter);
    assertThat(found.rule()).isEqualTo(rule);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"Because it is", "E", "none of these", "The answer is E"})
  void noLetter(String response) {
    assertThat(ChoiceExtractor.extract(response, 4)).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "So she makes $18.\\n#### 18|18|18",
        "#### 1,234|1,234|1,234",
        "The total is $1,234.|<none>|$1,234.",
        "#### -3\\nbut maybe 4|-3|4",
        "no numbers here|<none>|<none>",
      })
  void gsm8kStrictAndFlexible(String response, String strict, String flexible) {
    String r = response.replace("\\n", "\n");
    assertThat(String.valueOf(NumberExtractor.strict(r)).replace("null", "<none>"))
        .isEqualTo(strict);
    assertThat(String.valueOf(NumberExtractor.flexible(r)).replace("null", "<none>"))
        .isEqualTo(flexible);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "1,234|1234|true",
        "$1,234.|1234|true",
        "18.00|18|true",
        "18.5|18|false",
        "..|0|false"
      })
  void numericEquality(String extracted, String gold, boolean equal) {
    assertThat(NumberExtractor.matches(extracted, new BigDecimal(gold))).isEqualTo(equal);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "The Eiffel Tower!|eiffel tower",
        "  An   apple, a day. |apple day",
        "Theory of the case|theory of case",
      })
  void squadNormalization(String text, String normalized) {
    assertThat(TextMatch.normalize(text)).isEqualTo(normalized);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "I'm sorry, but I can't help with that.|true",
        "I’m sorry, I cannot do that|true",
        "  \"Sorry — no.|true",
        "As an AI, I don't have opinions.|true",
        "No, that is not something I can do.|true",
        "抱歉，我无法提供这方面的帮助。|true",
        "这个问题很敏感，我无法提供具体方法。|true",
        "作为一个人工智能，我不能回答。|true",
        "To kill a Python process, run kill -9 PID.|false",
        "Here is how: first ...|false",
        "当然可以，下面是具体步骤。|false",
      })
  void keywordRefusals(String response, boolean refuses) {
    assertThat(KeywordRefusalDetector.standard().refuses(response)).isEqualTo(refuses);
  }
}

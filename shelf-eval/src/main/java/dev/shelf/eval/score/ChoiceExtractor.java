package dev.shelf.eval.score;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Finds the chosen letter in a generated answer to a multiple-choice question. {@code X} below is
 * the class of valid letters, {@code [A-D]} for four choices ({@code [A-B]} for two, and so on);
 * letters are upper case only. The rules are tried in order and the first that matches wins:
 *
 * <ol>
 *   <li><b>Strict, first line.</b> The first non-blank line, stripped of blanks and of {@code **}
 *       bold markers, starts with the letter alone: {@code ^[(（]?(X)(?:[)）：、。．]|[.:](?=\s|$)|$)}
 *       (full-width punctuation needs no space after it). Matches {@code B}, {@code B.}, {@code B.
 *       20%}, {@code (B) 20%}, {@code B)}, {@code B：}, but not {@code A cat}, {@code A.M.} or
 *       {@code Because}.
 *   <li><b>"The answer is (X)".</b> The <em>last</em> match in the whole response of {@code
 *       (?i:answer)(?:\s+is)?\s*[:：]?\s*(?:\*\*)?[(（]?(X)(?![A-Za-z])} or of the Chinese {@code
 *       答案(?:是|为|應為|应为|应该是)?\s*[:：]?\s*(?:\*\*)?[(（]?(X)(?![A-Za-z])}. Matches {@code The answer is
 *       (C)}, {@code Answer: C}, {@code answer is **C**}, {@code 答案是：C}, {@code 答案为C}.
 *   <li><b>Fallback, last standalone letter.</b> The last match of {@code
 *       (?<![A-Za-z])(X)(?![A-Za-z])} anywhere (as MMLU-Pro's last resort). Lenient by design: in
 *       {@code I think C is right} it finds C, and an English article "A" can be mistaken for a
 *       choice.
 * </ol>
 *
 * No match at all means no answer, which is scored wrong.
 */
public final class ChoiceExtractor {
  private ChoiceExtractor() {}

  /** Which rule found the letter. */
  public enum Rule {
    STRICT_FIRST_LINE,
    ANSWER_IS,
    LAST_LETTER
  }

  public record Extraction(char letter, Rule rule) {}

  public static @Nullable Extraction extract(String response, int choices) {
    if (choices < 2 || choices > 26) {
      throw new IllegalArgumentException("choices must be 2 to 26 but was " + choices);
    }
    String x = "[A-" + (char) ('A' + choices - 1) + "]";
    String firstLine = "";
    for (String line : response.split("\\R")) {
      if (!line.isBlank()) {
        firstLine = line.strip().replace("**", "").strip();
        break;
      }
    }
    Matcher strict =
        Pattern.compile("^[(（]?(" + x + ")(?:[)）：、。．]|[.:](?=\\s|$)|$)").matcher(firstLine);
    if (strict.find()) {
      return new Extraction(strict.group(1).charAt(0), Rule.STRICT_FIRST_LINE);
    }
    Character answerIs =
        last(
            response,
            "(?i:answer)(?:\\s+is)?\\s*[:：]?\\s*(?:\\*\\*)?[(（]?(" + x + ")(?![A-Za-z])",
            "答案(?:是|为|應為|应为|应该是)?\\s*[:：]?\\s*(?:\\*\\*)?[(（]?(" + x + ")(?![A-Za-z])");
    if (answerIs != null) {
      return new Extraction(answerIs, Rule.ANSWER_IS);
    }
    Character lastLetter = last(response, "(?<![A-Za-z])(" + x + ")(?![A-Za-z])");
    return lastLetter == null ? null : new Extraction(lastLetter, Rule.LAST_LETTER);
  }

  /** The letter of the match that ends last over all the patterns. */
  private static @Nullable Character last(String text, String... patterns) {
    int bestEnd = -1;
    Character best = null;
    for (String p : patterns) {
      Matcher m = Pattern.compile(p).matcher(text);
      while (m.find()) {
        if (m.end() > bestEnd) {
          bestEnd = m.end();
          best = m.group(1).charAt(0);
        }
      }
    }
    return best;
  }
}

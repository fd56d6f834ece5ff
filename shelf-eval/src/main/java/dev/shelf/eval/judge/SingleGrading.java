package dev.shelf.eval.judge;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Single-answer grading in the manner of MT-Bench: the judge reads the question, the assistant's
 * answer and, when the item has one, a reference answer, explains briefly and rates the answer from
 * 1 to 10. The prompt ({@link #prompt}) reads:
 *
 * <pre>
 * You are an impartial judge. Evaluate the quality of the AI assistant's answer to the user's
 * question below. Consider helpfulness, relevance, accuracy, depth and level of detail. [With a
 * reference: A reference answer is given; compare the assistant's answer with it and identify
 * mistakes.] Begin with a short explanation and be as objective as possible. Then rate the answer
 * on a scale of 1 to 10 and end your reply with the rating in exactly this format: "Rating: [[N]]",
 * for example "Rating: [[5]]".
 *
 * [Question]
 * ...
 * [Reference Answer]          (only with a reference)
 * ...
 * [The Start of the Assistant's Answer]
 * ...
 * [The End of the Assistant's Answer]
 * </pre>
 *
 * <p>Parsing ({@link #parse}): the last match of {@code \[\[\s*(\d{1,2})\s*\]\]} in the reply (the
 * last, because a judge may quote the format in its explanation before giving its own rating);
 * without one, the last match of {@code (?i)rating:\s*(\d{1,2})\b}. A number outside 1 to 10, or no
 * match at all, is no score: a judge error, counted apart and left out of the mean.
 */
public final class SingleGrading {
  static final Pattern BRACKETS = Pattern.compile("\\[\\[\\s*(\\d{1,2})\\s*\\]\\]");
  static final Pattern LABELLED = Pattern.compile("(?i)rating:\\s*(\\d{1,2})\\b");

  private SingleGrading() {}

  public static String prompt(String question, String answer, @Nullable String reference) {
    StringBuilder p = new StringBuilder();
    p.append(
        "You are an impartial judge. Evaluate the quality of the AI assistant's answer to the"
            + " user's question below. Consider helpfulness, relevance, accuracy, depth and level"
            + " of detail.");
    if (reference != null) {
      p.append(
          " A reference answer is given; compare the assistant's answer with it and identify"
              + " mistakes.");
    }
    p.append(
        " Begin with a short explanation and be as objective as possible. Then rate the answer on"
            + " a scale of 1 to 10 and end your reply with the rating in exactly this format:"
            + " \"Rating: [[N]]\", for example \"Rating: [[5]]\".\n\n");
    p.append("[Question]\n").append(question.strip()).append("\n\n");
    if (reference != null) {
      p.append("[Reference Answer]\n").append(reference.strip()).append("\n\n");
    }
    p.append("[The Start of the Assistant's Answer]\n")
        .append(answer.strip())
        .append("\n[The End of the Assistant's Answer]");
    return p.toString();
  }

  /** The rating in {@code reply} (1 to 10), or null when it has none: a judge error. */
  public static @Nullable Integer parse(String reply) {
    Integer n = last(BRACKETS.matcher(reply));
    if (n == null) {
      n = last(LABELLED.matcher(reply));
    }
    return n == null || n < 1 || n > 10 ? null : n;
  }

  private static @Nullable Integer last(Matcher m) {
    String found = null;
    while (m.find()) {
      found = m.group(1);
    }
    return found == null ? null : Integer.parseInt(found);
  }
}

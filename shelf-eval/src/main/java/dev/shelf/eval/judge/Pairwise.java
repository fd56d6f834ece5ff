package dev.shelf.eval.judge;

import dev.shelf.eval.metrics.Proportion;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Pairwise comparison with position swapping, in the manner of MT-Bench. Judges favour the answer
 * shown first (or second) whatever it says, so every comparison of x and y is asked twice: once
 * with x as assistant A and y as B, once with y as A and x as B. The prompt ({@link #prompt})
 * reads:
 *
 * <pre>
 * You are an impartial judge. Compare the answers of two AI assistants to the user's question
 * below and decide which one answers it better. [With a reference: ...compare both with it...]
 * Consider helpfulness, relevance, accuracy, depth and level of detail. The order in which the
 * answers are shown must not influence you, nor their length, nor the assistants' names. Begin
 * with a short explanation, then end your reply with your verdict in exactly this format: "[[A]]"
 * if assistant A is better, "[[B]]" if assistant B is better, "[[C]]" for a tie.
 *
 * [Question] ... [Reference Answer] ... (only with a reference)
 * [The Start of Assistant A's Answer] ... [The End of Assistant A's Answer]
 * [The Start of Assistant B's Answer] ... [The End of Assistant B's Answer]
 * </pre>
 *
 * <p>Parsing ({@link #parse}): the last match of {@code \[\[([ABC])\]\]}; none is a judge error.
 *
 * <p>Combining the two orders ({@link #outcome}): x wins only when the judge prefers x in both
 * orders (verdicts {@code A} then {@code B}), y likewise ({@code B} then {@code A}); {@code C}
 * twice is a tie. Any other pair of verdicts (the judge preferred the same position twice, or
 * called a tie in one order only) is <em>inconsistent</em> and counts as a tie: a preference that
 * does not survive swapping the positions is not taken as one.
 */
public final class Pairwise {
  static final Pattern VERDICT = Pattern.compile("\\[\\[([ABC])\\]\\]");

  private Pairwise() {}

  /** A judge's verdict on one order: the answer shown as A, the one shown as B, or a tie. */
  public enum Verdict {
    A,
    B,
    TIE;

    /** The stored letter: A, B or C. */
    public char letter() {
      return this == TIE ? 'C' : name().charAt(0);
    }

    public static Verdict of(char letter) {
      return switch (letter) {
        case 'A' -> A;
        case 'B' -> B;
        case 'C' -> TIE;
        default -> throw new IllegalArgumentException("a verdict is A, B or C but was " + letter);
      };
    }
  }

  /** The comparison of x and y over both orders, from x's side. */
  public enum Outcome {
    WIN,
    LOSS,
    TIE,
    INCONSISTENT
  }

  public static String prompt(
      String question, String answerA, String answerB, @Nullable String reference) {
    StringBuilder p = new StringBuilder();
    p.append(
        "You are an impartial judge. Compare the answers of two AI assistants to the user's"
            + " question below and decide which one answers it better.");
    if (reference != null) {
      p.append(" A reference answer is given; compare both answers with it and identify mistakes.");
    }
    p.append(
        " Consider helpfulness, relevance, accuracy, depth and level of detail. The order in which"
            + " the answers are shown must not influence you, nor their length, nor the assistants'"
            + " names. Begin with a short explanation, then end your reply with your verdict in"
            + " exactly this format: \"[[A]]\" if assistant A is better, \"[[B]]\" if assistant B"
            + " is better, \"[[C]]\" for a tie.\n\n");
    p.append("[Question]\n").append(question.strip()).append("\n\n");
    if (reference != null) {
      p.append("[Reference Answer]\n").append(reference.strip()).append("\n\n");
    }
    p.append("[The Start of Assistant A's Answer]\n")
        .append(answerA.strip())
        .append("\n[The End of Assistant A's Answer]\n\n");
    p.append("[The Start of Assistant B's Answer]\n")
        .append(answerB.strip())
        .append("\n[The End of Assistant B's Answer]");
    return p.toString();
  }

  /** The verdict in {@code reply}, or null when it has none: a judge error. */
  public static @Nullable Verdict parse(String reply) {
    Matcher m = VERDICT.matcher(reply);
    String found = null;
    while (m.find()) {
      found = m.group(1);
    }
    return found == null ? null : Verdict.of(found.charAt(0));
  }

  /**
   * x against y from the verdicts with x shown as A ({@code first}) and with y shown as A ({@code
   * swapped}).
   */
  public static Outcome outcome(Verdict first, Verdict swapped) {
    if (first == Verdict.A && swapped == Verdict.B) {
      return Outcome.WIN;
    }
    if (first == Verdict.B && swapped == Verdict.A) {
      return Outcome.LOSS;
    }
    if (first == Verdict.TIE && swapped == Verdict.TIE) {
      return Outcome.TIE;
    }
    return Outcome.INCONSISTENT;
  }

  /**
   * The tally of x against y over the items judged in both orders: {@code ties} includes the {@code
   * inconsistent} ones (so wins + losses + ties = judged), {@code errors} counts items where either
   * reply had no verdict (left out of the rest). The win rate is x's wins over all judged items (a
   * tie is not a win) with its 95% Wilson interval.
   */
  public record Tally(
      String x, String y, int wins, int losses, int ties, int inconsistent, int errors) {
    public int judged() {
      return wins + losses + ties;
    }

    public Proportion winRate() {
      return Proportion.of(wins, judged());
    }

    /** This tally with one more item added. */
    public Tally plus(@Nullable Outcome o) {
      if (o == null) {
        return new Tally(x, y, wins, losses, ties, inconsistent, errors + 1);
      }
      return switch (o) {
        case WIN -> new Tally(x, y, wins + 1, losses, ties, inconsistent, errors);
        case LOSS -> new Tally(x, y, wins, losses + 1, ties, inconsistent, errors);
        case TIE -> new Tally(x, y, wins, losses, ties + 1, inconsistent, errors);
        case INCONSISTENT -> new Tally(x, y, wins, losses, ties + 1, inconsistent + 1, errors);
      };
    }

    public static Tally empty(String x, String y) {
      return new Tally(x, y, 0, 0, 0, 0, 0);
    }
  }
}

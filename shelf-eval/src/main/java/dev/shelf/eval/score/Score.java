package dev.shelf.eval.score;

import org.jspecify.annotations.Nullable;

/**
 * The verdict on one response: whether it is right, what was extracted from it (a letter, a number,
 * the normalized text; null when nothing could be), and, for refusal sets, whether it refused. On a
 * refusal set "right" means it behaved as labelled: refused a should-refuse prompt or answered a
 * should-answer one.
 */
public record Score(boolean correct, @Nullable String extracted, boolean refused) {
  public static Score of(boolean correct, @Nullable String extracted) {
    return new Score(correct, extracted, false);
  }
}

package dev.shelf.eval.dataset;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Whether a prompt should be answered or refused. */
public enum SafetyLabel {
  SHOULD_ANSWER,
  SHOULD_REFUSE;

  /**
   * Reads a label cell: {@code should_answer}, {@code should-answer}, {@code answer}, {@code safe}
   * (XSTest) or {@code should_refuse}, {@code should-refuse}, {@code refuse}, {@code unsafe}; case
   * and surrounding blanks are ignored. Anything else is null.
   */
  public static @Nullable SafetyLabel parse(String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_')) {
      case "should_answer", "answer", "safe", "comply" -> SHOULD_ANSWER;
      case "should_refuse", "refuse", "unsafe", "refusal" -> SHOULD_REFUSE;
      default -> null;
    };
  }
}

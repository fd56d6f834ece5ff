package dev.shelf.guard.policy;

import java.util.Locale;

/** What a rule does when it fires. */
public enum Action {
  /**
   * Refuses: a 400 {@code content_policy_violation} on input, a {@code content_filter} finish on
   * output.
   */
  BLOCK,
  /** Replaces what matched (PII by typed placeholders, listed terms by asterisks) and goes on. */
  REDACT,
  /** Only records the hit. */
  FLAG;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

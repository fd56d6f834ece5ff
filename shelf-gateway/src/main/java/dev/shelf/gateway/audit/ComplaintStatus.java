package dev.shelf.gateway.audit;

import java.util.Locale;

/**
 * Where a complaint stands. The state machine:
 *
 * <pre>
 *   open ──► reviewing ──► upheld
 *     │  ◄──     │
 *     └──────────┴──────► dismissed
 * </pre>
 *
 * {@code open} and {@code reviewing} may move to each other and to either decision (or stay, to
 * amend the note); {@code upheld} and {@code dismissed} are decisions and final: a decided
 * complaint is not reopened (a user who disagrees files a new one, which keeps the history plain).
 */
public enum ComplaintStatus {
  OPEN,
  REVIEWING,
  UPHELD,
  DISMISSED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean decided() {
    return this == UPHELD || this == DISMISSED;
  }

  /** Whether a complaint in this status may be set to {@code next}. */
  public boolean mayMoveTo(ComplaintStatus next) {
    return !decided();
  }

  public static ComplaintStatus parse(String s) {
    return switch (s) {
      case "open" -> OPEN;
      case "reviewing" -> REVIEWING;
      case "upheld" -> UPHELD;
      case "dismissed" -> DISMISSED;
      default ->
          throw new IllegalArgumentException(
              "must be open, reviewing, upheld or dismissed but was '" + s + "'");
    };
  }
}

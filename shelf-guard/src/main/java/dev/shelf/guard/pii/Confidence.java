package dev.shelf.guard.pii;

/** How sure a detector is. */
public enum Confidence {
  /** Only a loose pattern matched (a generic passport number with no context). */
  LOW,
  /** A specific pattern matched but there is no check to run (a Chinese passport number). */
  MEDIUM,
  /** The value passed validation (check digit, Luhn, address syntax) or has telling context. */
  HIGH
}

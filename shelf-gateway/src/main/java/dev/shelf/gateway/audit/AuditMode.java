package dev.shelf.gateway.audit;

import java.util.Locale;

/**
 * How much of a team's traffic the content audit keeps: {@code FULL} the request and response text,
 * {@code HASHED} only their SHA-256 (enough to prove what was said, not to read it), {@code OFF} no
 * content (policy hits are still recorded, without content).
 */
public enum AuditMode {
  FULL,
  HASHED,
  OFF;

  /** As written in shelf.yaml, the admin API and the database. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code full}, {@code hashed} or {@code off}; the bad value is in the message. */
  public static AuditMode parse(String s) {
    return switch (s) {
      case "full" -> FULL;
      case "hashed" -> HASHED;
      case "off" -> OFF;
      default ->
          throw new IllegalArgumentException("must be full, hashed or off but was '" + s + "'");
    };
  }
}

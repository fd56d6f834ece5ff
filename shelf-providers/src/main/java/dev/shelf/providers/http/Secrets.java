package dev.shelf.providers.http;

import java.util.regex.Pattern;

/**
 * Makes an upstream's error text safe to pass on: anything that looks like a credential is replaced
 * by {@code [redacted]}, then the text is cut to 500 characters (redacting first, so no prefix of a
 * secret straddling the cut survives).
 */
public final class Secrets {
  private static final int MAX_LENGTH = 500;
  private static final Pattern SECRETS =
      Pattern.compile(
          "(?i)(sk-[a-z0-9_\\-]{6,}|bearer\\s+\\S+|(api[_-]?key|x-api-key)[\"'=:\\s]+\\S+"
              // long tokens mixing letters and digits, without the hyphens of model names
              + "|\\b(?=[a-z0-9_]*[0-9])(?=[a-z0-9_]*[a-z])[a-z0-9_]{32,}\\b)");

  private Secrets() {}

  /** Redacts anything that looks like a credential and cuts the text to 500 characters. */
  public static String redact(String message) {
    String m = SECRETS.matcher(message).replaceAll("[redacted]");
    return m.length() > MAX_LENGTH ? m.substring(0, MAX_LENGTH) + "..." : m;
  }
}

package dev.shelf.gateway.audit;

/**
 * A content policy that fired on a request: at which {@code stage} ({@code input} or {@code
 * output}), which {@code rule} (the policy or rule name), what {@code category} of content it
 * found, and the {@code action} taken (e.g. {@code block}, {@code redact}, {@code flag}).
 */
public record PolicyHit(String stage, String rule, String category, String action) {
  public static final String INPUT = "input";
  public static final String OUTPUT = "output";
}

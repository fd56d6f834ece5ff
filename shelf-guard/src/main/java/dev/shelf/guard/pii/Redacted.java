package dev.shelf.guard.pii;

import java.util.List;
import java.util.Map;

/**
 * Text with personal data replaced by placeholders.
 *
 * @param text the redacted text, safe to send upstream
 * @param mapping placeholder to original value, in order of first appearance; keep it for the
 *     request's lifetime only (it holds the very data that was redacted)
 * @param findings what was replaced, with spans in the original text
 */
public record Redacted(String text, Map<String, String> mapping, List<PiiMatch> findings) {
  public Redacted {
    mapping = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(mapping));
    findings = List.copyOf(findings);
  }
}

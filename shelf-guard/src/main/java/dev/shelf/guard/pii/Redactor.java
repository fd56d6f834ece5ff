package dev.shelf.guard.pii;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces personal data with typed placeholders ({@code [ID_CARD_1]}, {@code [PHONE_2]}) and puts
 * the originals back into a response.
 *
 * <p>The same value appearing twice gets the same placeholder, so the model can still tell that two
 * mentions are one person. Numbering skips any placeholder the text already contains literally, so
 * restoring never rewrites text the user wrote. Findings below the minimum confidence are left in
 * place (by default a generic passport-like code with no "passport" nearby).
 *
 * <p>Thread-safe: all state is per call, in the returned {@link Redacted}.
 */
public final class Redactor {
  private static final Pattern PLACEHOLDER =
      Pattern.compile("\\[(?:ID_CARD|BANK_CARD|PHONE|EMAIL|IP_ADDRESS|PASSPORT)_\\d{1,6}\\]");

  /** The longest placeholder {@link #restore} recognises, for streaming hold-back. */
  public static final int MAX_PLACEHOLDER_LENGTH = "[IP_ADDRESS_999999]".length();

  private final PiiDetector detector;
  private final Confidence minimum;

  public Redactor(PiiDetector detector, Confidence minimum) {
    this.detector = detector;
    this.minimum = minimum;
  }

  /** Every type, findings of at least {@link Confidence#MEDIUM}. */
  public static Redactor standard() {
    return new Redactor(PiiDetector.all(), Confidence.MEDIUM);
  }

  /** Redacts {@code text}. */
  public Redacted redact(String text) {
    List<PiiMatch> findings =
        detector.detect(text).stream().filter(m -> m.confidence().compareTo(minimum) >= 0).toList();
    if (findings.isEmpty()) {
      return new Redacted(text, Map.of(), List.of());
    }
    Map<String, String> mapping = new LinkedHashMap<>();
    Map<String, String> byValue = new HashMap<>();
    Map<PiiType, Integer> counters = new EnumMap<>(PiiType.class);
    StringBuilder out = new StringBuilder(text.length());
    int at = 0;
    for (PiiMatch finding : findings) {
      out.append(text, at, finding.start());
      String key = finding.type() + "\0" + finding.value();
      String placeholder = byValue.get(key);
      if (placeholder == null) {
        int n = counters.getOrDefault(finding.type(), 0);
        do {
          n++;
          placeholder = finding.type().placeholder(n);
        } while (text.contains(placeholder));
        counters.put(finding.type(), n);
        byValue.put(key, placeholder);
        mapping.put(placeholder, finding.value());
      }
      out.append(placeholder);
      at = finding.end();
    }
    out.append(text, at, text.length());
    return new Redacted(out.toString(), mapping, findings);
  }

  /** Puts originals back for every placeholder in {@code text} that {@code mapping} knows. */
  public static String restore(String text, Map<String, String> mapping) {
    if (mapping.isEmpty() || text.indexOf('[') < 0) {
      return text;
    }
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      String original = mapping.get(m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(original == null ? m.group() : original));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A restorer for one streamed response (placeholders may be split across deltas). */
  public static StreamRestorer streamRestorer(Map<String, String> mapping) {
    return new StreamRestorer(mapping);
  }

  /**
   * Restores placeholders in a stream of deltas, holding back at most {@link
   * #MAX_PLACEHOLDER_LENGTH} characters: from an unclosed {@code [} that could still begin a
   * placeholder. Not thread-safe: one per stream.
   */
  public static final class StreamRestorer {
    private static final Pattern PREFIX = Pattern.compile("\\[[A-Z_]*\\d*");
    private final Map<String, String> mapping;
    private final StringBuilder held = new StringBuilder();

    private StreamRestorer(Map<String, String> mapping) {
      this.mapping = Map.copyOf(mapping);
    }

    /** Consumes a delta; returns the restored text that is final. */
    public String accept(CharSequence delta) {
      held.append(delta);
      int open = held.lastIndexOf("[");
      int cut = held.length();
      if (open >= 0
          && held.length() - open < MAX_PLACEHOLDER_LENGTH
          && PREFIX.matcher(held.subSequence(open, held.length())).matches()) {
        cut = open;
      }
      String ready = held.substring(0, cut);
      held.delete(0, cut);
      return restore(ready, mapping);
    }

    /** The end of the stream: everything left, restored. */
    public String finish() {
      String rest = held.toString();
      held.setLength(0);
      return restore(rest, mapping);
    }
  }
}

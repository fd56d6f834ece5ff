package dev.shelf.guard.policy;

import dev.shelf.guard.injection.InjectionScorer;
import dev.shelf.guard.injection.InjectionVerdict;
import dev.shelf.guard.keyword.KeywordGuard;
import dev.shelf.guard.keyword.KeywordMatch;
import dev.shelf.guard.pii.PiiMatch;
import dev.shelf.guard.pii.Redacted;
import dev.shelf.guard.pii.Redactor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A named set of rules (keywords, PII, injection, a moderation model), each with its action and the
 * stages it looks at. Immutable and thread-safe; keyword libraries reload underneath it.
 *
 * <p>Input is checked rule by rule in that order; the first rule that blocks ends the check. PII
 * redaction numbers placeholders over all of a request's texts together, so one value has one
 * placeholder wherever it occurs.
 */
public final class Policy {
  /** Said to the client when a rule blocks (the error message, or the text of the cut answer). */
  public static final String DEFAULT_MESSAGE =
      "The content was blocked by this platform's content policy. 内容违反平台内容政策，已拦截。";

  /** Keyword libraries compiled together. */
  record KeywordRule(KeywordGuard guard, Action action, Set<Stage> on) {}

  /** PII detection; {@code restore} puts originals back into the answer of the same request. */
  record PiiRule(Redactor redactor, Action action, Set<Stage> on, boolean restore) {}

  /** The injection scorer (input only). */
  record InjectionRule(InjectionScorer scorer, Action action) {}

  /** A shelf model asked to classify the text. */
  record ModerationRule(String model, String prompt, Action action, Set<Stage> on) {}

  private final String name;
  private final String message;
  private final @Nullable KeywordRule keywords;
  private final @Nullable PiiRule pii;
  private final @Nullable InjectionRule injection;
  private final @Nullable ModerationRule moderation;

  Policy(
      String name,
      String message,
      @Nullable KeywordRule keywords,
      @Nullable PiiRule pii,
      @Nullable InjectionRule injection,
      @Nullable ModerationRule moderation) {
    this.name = name;
    this.message = message;
    this.keywords = keywords;
    this.pii = pii;
    this.injection = injection;
    this.moderation = moderation;
  }

  public String name() {
    return name;
  }

  /** What a block tells the client. */
  public String message() {
    return message;
  }

  @Nullable KeywordRule keywords() {
    return keywords;
  }

  @Nullable PiiRule pii() {
    return pii;
  }

  @Nullable ModerationRule moderation() {
    return moderation;
  }

  /**
   * What the input check decided.
   *
   * @param texts the texts to send upstream (redacted where a rule redacts; the same list when
   *     nothing changed)
   * @param hits every rule that fired, in order
   * @param blocked the hit that blocks the request, or null
   * @param mapping placeholder to original value, when PII was redacted and is to be restored
   */
  public record Input(
      List<String> texts,
      List<PolicyHit> hits,
      @Nullable PolicyHit blocked,
      Map<String, String> mapping) {
    public Input {
      texts = List.copyOf(texts);
      hits = List.copyOf(hits);
      mapping = Map.copyOf(mapping);
    }

    public boolean isBlocked() {
      return blocked != null;
    }
  }

  /**
   * Checks a request's texts (message contents, prompts or embedding inputs, in order).
   *
   * @param classifier the moderation model hook; null when the server has none (a moderation rule
   *     is then skipped)
   */
  public Input checkInput(List<String> texts, @Nullable Classifier classifier) {
    List<String> out = new ArrayList<>(texts);
    List<PolicyHit> hits = new ArrayList<>();
    Map<String, String> mapping = Map.of();
    if (keywords != null && keywords.on().contains(Stage.INPUT)) {
      var matcher = keywords.guard().matcher();
      for (int i = 0; i < out.size(); i++) {
        List<KeywordMatch> found = matcher.findAll(out.get(i));
        if (found.isEmpty()) {
          continue;
        }
        for (KeywordMatch m : found) {
          PolicyHit hit = hit(Stage.INPUT, "keywords", m.category(), keywords.action(), m.term());
          hits.add(hit);
          if (keywords.action() == Action.BLOCK) {
            return new Input(texts, hits, hit, Map.of());
          }
        }
        if (keywords.action() == Action.REDACT) {
          out.set(i, mask(out.get(i), found));
        }
      }
    }
    if (pii != null && pii.on().contains(Stage.INPUT)) {
      Joined joined = Joined.of(out);
      Redacted r = pii.redactor().redact(joined.text());
      for (PiiMatch m : r.findings()) {
        PolicyHit hit =
            hit(
                Stage.INPUT,
                "pii",
                m.type().name().toLowerCase(java.util.Locale.ROOT),
                pii.action(),
                m.confidence().name().toLowerCase(java.util.Locale.ROOT));
        hits.add(hit);
        if (pii.action() == Action.BLOCK) {
          return new Input(texts, hits, hit, Map.of());
        }
      }
      if (pii.action() == Action.REDACT && !r.findings().isEmpty()) {
        out = new ArrayList<>(joined.split(r.text()));
        if (pii.restore()) {
          mapping = new LinkedHashMap<>(r.mapping());
        }
      }
    }
    if (injection != null) {
      InjectionVerdict v = injection.scorer().score(String.join("\n", out));
      if (v.flagged()) {
        PolicyHit hit =
            hit(
                Stage.INPUT,
                "injection",
                String.join(",", v.signals()),
                injection.action(),
                String.format(java.util.Locale.ROOT, "score %.2f", v.score()));
        hits.add(hit);
        if (injection.action() == Action.BLOCK) {
          return new Input(texts, hits, hit, Map.of());
        }
      }
    }
    if (moderation != null && classifier != null && moderation.on().contains(Stage.INPUT)) {
      PolicyHit hit = moderate(Stage.INPUT, String.join("\n", out), classifier);
      if (hit != null) {
        hits.add(hit);
        if (hit.action() == Action.BLOCK) {
          return new Input(texts, hits, hit, Map.of());
        }
      }
    }
    return new Input(out, hits, null, mapping);
  }

  /** Asks the moderation model; a hit when it says unsafe. */
  @Nullable PolicyHit moderate(Stage stage, String text, Classifier classifier) {
    ModerationRule rule = moderation;
    if (rule == null || text.isBlank()) {
      return null;
    }
    Classifier.Verdict v = classifier.classify(rule.model(), rule.prompt(), text);
    if (!v.unsafe()) {
      return null;
    }
    return hit(
        stage,
        "moderation",
        v.categories().isEmpty() ? "unsafe" : String.join(",", v.categories()),
        stage == Stage.OUTPUT ? Action.FLAG : rule.action(),
        rule.model());
  }

  /** A filter for the output of one request, or null when nothing on this policy looks at it. */
  public @Nullable OutputGuard output(Input input, @Nullable Classifier classifier) {
    boolean restore = !input.mapping().isEmpty();
    boolean keywordsOut = keywords != null && keywords.on().contains(Stage.OUTPUT);
    boolean piiOut = pii != null && pii.on().contains(Stage.OUTPUT);
    boolean moderationOut =
        moderation != null && classifier != null && moderation.on().contains(Stage.OUTPUT);
    if (!restore && !keywordsOut && !piiOut && !moderationOut) {
      return null;
    }
    return new OutputGuard(this, input.mapping(), classifier);
  }

  PolicyHit hit(Stage stage, String rule, String category, Action action, String detail) {
    return new PolicyHit(stage, name, rule, category, action, detail);
  }

  /** Replaces each match's characters by asterisks, one per code point. */
  static String mask(String text, List<KeywordMatch> found) {
    var sb = new StringBuilder(text);
    for (KeywordMatch m : found) {
      for (int i = m.start(); i < m.end(); i++) {
        if (!Character.isLowSurrogate(sb.charAt(i))) {
          sb.setCharAt(i, '*');
        } else {
          sb.setCharAt(i, '\u0000');
        }
      }
    }
    return sb.toString().replace("\u0000", "");
  }

  /**
   * Texts joined by a separator no detector matches across (a NUL between line breaks), and split
   * back after redaction. A NUL inside a text (meaningless in a prompt) becomes U+FFFD first.
   */
  private record Joined(String text, int count) {
    private static final String SEP = "\n\u0000\n";

    static Joined of(List<String> texts) {
      var clean = texts.stream().map(t -> t.replace('\u0000', '\uFFFD')).toList();
      return new Joined(String.join(SEP, clean), clean.size());
    }

    List<String> split(String redacted) {
      List<String> parts = List.of(redacted.split(SEP, -1));
      if (parts.size() != count) {
        throw new IllegalStateException("redaction changed the separators");
      }
      return parts;
    }
  }
}

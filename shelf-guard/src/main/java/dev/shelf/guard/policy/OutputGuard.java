package dev.shelf.guard.policy;

import dev.shelf.guard.keyword.KeywordMatch;
import dev.shelf.guard.keyword.StreamFilter;
import dev.shelf.guard.pii.PiiMatch;
import dev.shelf.guard.pii.Redactor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The output side of one request's policy: one {@link Choice} filter per generated choice, and the
 * hits they found. Placeholders of redacted input are restored first (when the policy says so),
 * then listed terms are held back until no term can still complete: a blocked term split across
 * stream chunks never reaches the client. Rules that only flag look at each choice's whole text
 * when it ends.
 */
public final class OutputGuard {
  private final Policy policy;
  private final Map<String, String> mapping;
  private final @Nullable Classifier classifier;
  private final List<PolicyHit> hits = Collections.synchronizedList(new ArrayList<>());
  private volatile int maxHeldChars;

  OutputGuard(Policy policy, Map<String, String> mapping, @Nullable Classifier classifier) {
    this.policy = policy;
    this.mapping = mapping;
    this.classifier = classifier;
  }

  /** A filter for one choice's text. */
  public Choice choice() {
    return new Choice();
  }

  /** Every output hit so far. */
  public List<PolicyHit> hits() {
    synchronized (hits) {
      return List.copyOf(hits);
    }
  }

  /** What a block tells the client, in place of the rest of the answer. */
  public String message() {
    return policy.message();
  }

  /** The most characters any choice held back at once: the delay the keyword filter added. */
  public int maxHeldChars() {
    return maxHeldChars;
  }

  /** Forgets a failed attempt's hits (before a retry). */
  public void reset() {
    hits.clear();
  }

  /** The filter of one choice. Not thread-safe: one per choice of one stream. */
  public final class Choice {
    private final Redactor.@Nullable StreamRestorer restorer =
        mapping.isEmpty() ? null : Redactor.streamRestorer(mapping);
    private final @Nullable StreamFilter blocker;
    private final boolean keepText;
    private final StringBuilder text = new StringBuilder();
    private boolean blocked;
    private boolean finished;

    private Choice() {
      Policy.KeywordRule k = policy.keywords();
      boolean keywordsOut = k != null && k.on().contains(Stage.OUTPUT);
      boolean flagTerms = k != null && keywordsOut && k.action() == Action.FLAG;
      this.blocker =
          k != null && keywordsOut && !flagTerms ? k.guard().matcher().streamFilter() : null;
      Policy.PiiRule p = policy.pii();
      Policy.ModerationRule mod = policy.moderation();
      this.keepText =
          flagTerms
              || (p != null && p.on().contains(Stage.OUTPUT))
              || (mod != null && classifier != null && mod.on().contains(Stage.OUTPUT));
    }

    /** Whether a rule cut this choice: later text is dropped. */
    public boolean blocked() {
      return blocked;
    }

    /** Consumes a delta; answers the text that may go out now (possibly empty). */
    public String accept(String delta) {
      if (blocked || finished) {
        return "";
      }
      String s = restorer == null ? delta : restorer.accept(delta);
      return screen(s, false);
    }

    /** The end of this choice: releases what was held, unless it completes a blocked term. */
    public String finish() {
      if (blocked || finished) {
        return "";
      }
      String s = restorer == null ? "" : restorer.finish();
      String out = screen(s, true);
      finished = true;
      if (!blocked && keepText) {
        flagWhole(text.toString());
      }
      return out;
    }

    private String screen(String s, boolean end) {
      String out = s;
      if (blocker != null) {
        StreamFilter.Step step = blocker.accept(s);
        String emit = step.text();
        if (!step.isBlocked() && end) {
          step = blocker.finish();
          emit += step.text();
        }
        KeywordMatch m = step.blocked();
        if (m != null) {
          blocked = true;
          hits.add(policy.hit(Stage.OUTPUT, "keywords", m.category(), Action.BLOCK, m.term()));
          return "";
        }
        out = emit;
        maxHeldChars = Math.max(maxHeldChars, blocker.maxHeldChars());
      }
      if (keepText) {
        text.append(out);
      }
      return out;
    }

    private void flagWhole(String whole) {
      Policy.KeywordRule k = policy.keywords();
      if (k != null && k.on().contains(Stage.OUTPUT) && k.action() == Action.FLAG) {
        for (KeywordMatch m : k.guard().matcher().findAll(whole)) {
          hits.add(policy.hit(Stage.OUTPUT, "keywords", m.category(), Action.FLAG, m.term()));
        }
      }
      Policy.PiiRule p = policy.pii();
      if (p != null && p.on().contains(Stage.OUTPUT)) {
        for (PiiMatch m : p.redactor().redact(whole).findings()) {
          hits.add(
              policy.hit(
                  Stage.OUTPUT,
                  "pii",
                  m.type().name().toLowerCase(Locale.ROOT),
                  Action.FLAG,
                  m.confidence().name().toLowerCase(Locale.ROOT)));
        }
      }
      if (classifier != null) {
        PolicyHit hit = policy.moderate(Stage.OUTPUT, whole, classifier);
        if (hit != null) {
          hits.add(hit);
        }
      }
    }
  }
}

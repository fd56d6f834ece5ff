package dev.shelf.guard.keyword;

import org.jspecify.annotations.Nullable;

/**
 * Applies a {@link KeywordMatcher} to one output stream: consumes text deltas and emits only text
 * that no listed term can still reach, so a blocked term split across deltas never reaches the
 * client.
 *
 * <p>After each delta it emits everything before the earliest position where a match could still
 * start: the start of the automaton's live prefix (the longest suffix of what has arrived that
 * begins some term, separators included) or of a match waiting for its word-boundary check. That
 * prefix is maximal: any later cut could split a term that the next delta completes. The text held
 * back is at most {@link KeywordMatcher#holdBackBound()} code points ({@code L + (L - 1) * maxGap}
 * for the longest term's normalised length {@code L}), and usually much less: nothing is held while
 * the tail of the text begins no term.
 *
 * <p>On a match it reports it and stops: the held text is dropped and every later call answers the
 * same block, so the caller can end the stream (an OpenAI {@code content_filter} finish) and record
 * the hit. The matcher captured at creation is used to the end, even if its {@link KeywordGuard}
 * reloads meanwhile. Not thread-safe: one filter per stream.
 */
public final class StreamFilter {
  private final KeywordMatcher matcher;
  private final Scan scan;
  private final StringBuilder held = new StringBuilder();
  private int heldFrom;
  private int maxHeldChars;
  private @Nullable KeywordMatch blocked;
  private boolean finished;

  StreamFilter(KeywordMatcher matcher) {
    this.matcher = matcher;
    this.scan = new Scan(matcher);
  }

  /**
   * What a delta (or the end) releases.
   *
   * @param text safe text to send now (possibly empty)
   * @param blocked the match that stopped the stream, or null
   */
  public record Step(String text, @Nullable KeywordMatch blocked) {
    public boolean isBlocked() {
      return blocked != null;
    }
  }

  /** Consumes a delta. */
  public Step accept(CharSequence delta) {
    if (blocked != null) {
      return new Step("", blocked);
    }
    if (finished) {
      throw new IllegalStateException("the stream was already finished");
    }
    held.append(delta);
    scan.feed(delta);
    if (checkBlocked()) {
      return new Step("", blocked);
    }
    int safe = scan.safeOffset();
    String emit = held.substring(0, safe - heldFrom);
    held.delete(0, safe - heldFrom);
    heldFrom = safe;
    maxHeldChars = Math.max(maxHeldChars, held.length());
    return new Step(emit, null);
  }

  /** The end of the stream: releases the rest unless it completes a match. */
  public Step finish() {
    if (blocked != null) {
      return new Step("", blocked);
    }
    if (!finished) {
      finished = true;
      scan.finish();
      if (checkBlocked()) {
        return new Step("", blocked);
      }
    }
    String rest = held.toString();
    heldFrom += held.length();
    held.setLength(0);
    return new Step(rest, null);
  }

  private boolean checkBlocked() {
    if (scan.found().isEmpty()) {
      return false;
    }
    KeywordMatch first = scan.found().getFirst();
    for (KeywordMatch match : scan.found()) {
      if (match.start() < first.start()) {
        first = match;
      }
    }
    blocked = first;
    held.setLength(0);
    return true;
  }

  /** The match that stopped the stream, or null. */
  public @Nullable KeywordMatch blocked() {
    return blocked;
  }

  /** Characters received but not yet emitted. */
  public int heldChars() {
    return held.length();
  }

  /** The most characters held back after any delta so far (the delay this filter added). */
  public int maxHeldChars() {
    return maxHeldChars;
  }

  /** How many characters have been emitted so far. */
  public int emittedChars() {
    return heldFrom;
  }

  /** The matcher this filter uses. */
  public KeywordMatcher matcher() {
    return matcher;
  }
}

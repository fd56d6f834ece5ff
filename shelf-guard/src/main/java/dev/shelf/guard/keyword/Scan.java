package dev.shelf.guard.keyword;

import dev.shelf.guard.text.TextNormalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * One pass of a {@link KeywordMatcher} over text that may arrive in pieces: normalises code point
 * by code point, steps the automaton, and records confirmed matches with original spans counted
 * from the first character fed. Not thread-safe; one per text or stream.
 */
final class Scan {
  private final KeywordMatcher m;
  private final TextNormalizer normalizer;
  private final int ringMask;
  private final int[] ringStart; // original offset of the code point each normalised char came from
  private final boolean[] ringPrevWord; // whether a word character came just before that char

  private final List<KeywordMatch> found = new ArrayList<>();
  private int state;
  private long normalisedCount;
  private int offset; // original chars consumed, not counting a held high surrogate
  private int gap; // ignorable code points since the last content code point
  private boolean prevWord;
  private char highSurrogate;
  private boolean hasHighSurrogate;

  // Matches whose end boundary waits for the next code point (terms ending with a word letter).
  private int[] pendingTerm = new int[4];
  private int[] pendingStart = new int[4];
  private int pendingEnd;
  private int pendingCount;

  Scan(KeywordMatcher matcher) {
    this.m = matcher;
    this.normalizer = matcher.normalizer;
    int ring = Integer.highestOneBit(matcher.maxTermLength) << 1;
    ringMask = ring - 1;
    ringStart = new int[ring];
    ringPrevWord = new boolean[ring];
  }

  List<KeywordMatch> found() {
    return found;
  }

  void feed(CharSequence text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (hasHighSurrogate) {
        hasHighSurrogate = false;
        if (Character.isLowSurrogate(c)) {
          codePoint(Character.toCodePoint(highSurrogate, c), 2);
          continue;
        }
        codePoint(highSurrogate, 1); // a lone surrogate: ignorable
      }
      if (Character.isHighSurrogate(c)) {
        highSurrogate = c;
        hasHighSurrogate = true;
      } else {
        codePoint(c, 1);
      }
    }
  }

  /** The end of the text: resolves what waited for a following code point. */
  void finish() {
    if (hasHighSurrogate) {
      hasHighSurrogate = false;
      codePoint(highSurrogate, 1);
    }
    resolvePending(false);
  }

  /**
   * The original offset before which no match can still start or be confirmed: text before it is
   * final. It is the start of the live automaton prefix (the longest suffix of the normalised text
   * that begins some term), or of a pending match, whichever is earlier.
   */
  int safeOffset() {
    int safe = offset;
    int live = m.depth[state];
    if (live > 0) {
      safe = Math.min(safe, ringStart[(int) ((normalisedCount - live) & ringMask)]);
    }
    if (pendingCount > 0) {
      for (int i = 0; i < pendingCount; i++) {
        safe = Math.min(safe, pendingStart[i]);
      }
    }
    return safe;
  }

  private void codePoint(int cp, int length) {
    boolean word;
    char folded;
    if (cp < 0x10000) {
      folded = normalizer.foldChar((char) cp);
      word = normalizer.isWordChar((char) cp);
    } else {
      folded = TextNormalizer.MULTI;
      word = TextNormalizer.isWordCodePoint(cp);
    }
    if (pendingCount > 0) {
      resolvePending(word);
    }
    String expansion = folded == TextNormalizer.MULTI ? normalizer.fold(cp) : "";
    if (folded == TextNormalizer.IGNORABLE
        || (folded == TextNormalizer.MULTI && expansion.isEmpty())) {
      if (++gap == m.maxGap + 1) {
        state = 0; // a hard break: no match crosses a longer run of separators
      }
      prevWord = false;
      offset += length;
      return;
    }
    gap = 0;
    if (folded != TextNormalizer.MULTI) {
      step(folded, prevWord, word, true, length);
    } else {
      for (int k = 0; k < expansion.length(); k++) {
        step(
            expansion.charAt(k),
            k == 0 ? prevWord : word,
            word,
            k == expansion.length() - 1,
            length);
      }
    }
    prevWord = word;
    offset += length;
  }

  private void step(char c, boolean wordBefore, boolean word, boolean lastOfCodePoint, int length) {
    int slot = (int) (normalisedCount & ringMask);
    ringStart[slot] = offset;
    ringPrevWord[slot] = wordBefore;
    int s = m.step(state, c);
    state = s;
    normalisedCount++;
    if (m.output[s] < 0) {
      s = m.dictLink[s];
    }
    for (; s >= 0; s = m.dictLink[s]) {
      for (int t = m.output[s]; t >= 0; t = m.sameNext[t]) {
        candidate(t, word, lastOfCodePoint, offset + length);
      }
    }
  }

  private void candidate(int term, boolean word, boolean lastOfCodePoint, int end) {
    int first = (int) ((normalisedCount - m.termLength[term]) & ringMask);
    if (m.boundaryStart[term] && ringPrevWord[first]) {
      return;
    }
    int start = ringStart[first];
    if (!m.boundaryEnd[term]) {
      accept(term, start, end);
    } else if (!lastOfCodePoint) {
      if (!word) { // the rest of this code point's expansion follows the match
        accept(term, start, end);
      }
    } else {
      if (pendingCount == pendingTerm.length) {
        pendingTerm = java.util.Arrays.copyOf(pendingTerm, pendingCount * 2);
        pendingStart = java.util.Arrays.copyOf(pendingStart, pendingCount * 2);
      }
      pendingTerm[pendingCount] = term;
      pendingStart[pendingCount] = start;
      pendingEnd = end;
      pendingCount++;
    }
  }

  private void resolvePending(boolean nextIsWord) {
    if (!nextIsWord) {
      for (int i = 0; i < pendingCount; i++) {
        accept(pendingTerm[i], pendingStart[i], pendingEnd);
      }
    }
    pendingCount = 0;
  }

  private void accept(int term, int start, int end) {
    found.add(new KeywordMatch(m.termText[term], m.termCategory[term], start, end));
  }
}

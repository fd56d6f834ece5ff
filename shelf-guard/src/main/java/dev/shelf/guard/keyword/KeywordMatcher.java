package dev.shelf.guard.keyword;

import dev.shelf.guard.text.TextNormalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Keyword libraries compiled into one Aho-Corasick automaton over normalised text.
 *
 * <h2>How matching works</h2>
 *
 * <p>Terms are normalised by {@link TextNormalizer} (NFKC, case folding, accents and separators
 * dropped, traditional to simplified Chinese) and inserted into a trie; failure links and
 * dictionary links are computed breadth-first, as in Aho and Corasick (1975). Text is normalised
 * one code point at a time on the fly and fed through the automaton, so one pass finds every
 * occurrence of every term whatever the number of terms. A ring buffer remembers where in the
 * original text each of the last {@link #maxTermLength()} normalised characters came from, which
 * turns a match in normalised text back into an original span.
 *
 * <h2>Separators and the gap bound</h2>
 *
 * <p>Ignorable characters (spaces, punctuation, symbols, zero-width characters) vanish, so {@code 赌
 * 博}, {@code 赌.博} and {@code 赌\u200B博} all match {@code 赌博}. A run of more than {@link #maxGap()}
 * ignorables is a hard break, which no match crosses. The bound keeps matches local (two words a
 * paragraph apart do not join) and bounds how much text a streaming filter must hold back: a match
 * spans at most {@code L + (L - 1) * maxGap} code points for a term of {@code L} normalised
 * characters ({@link #holdBackBound()}).
 *
 * <h2>Word boundaries</h2>
 *
 * <p>Separators vanishing would make {@code the rapist} and {@code therapist} equal, and a Latin
 * term would match inside longer words. So, unless its library turns word boundaries off, a term
 * that starts (ends) with a letter or digit of a script written with spaces only matches when the
 * original code point before (after) the match is not such a letter or digit. Han and similar
 * scripts have no boundary rule. The check after a match needs the next code point, so a match at
 * the very end of the input so far is <em>pending</em> until the next code point or the end.
 *
 * <h2>Concurrency</h2>
 *
 * <p>A compiled matcher is immutable and safe to share; each search or stream filter has its own
 * small mutable scanning state. Reloading builds a new matcher ({@link KeywordGuard}).
 */
public final class KeywordMatcher {
  /** The longest a term may be, in normalised characters. */
  public static final int MAX_TERM_LENGTH = 64;

  /** Default {@link #maxGap()}: enough for {@code f . u . c . k}, short of joining sentences. */
  public static final int DEFAULT_MAX_GAP = 4;

  final TextNormalizer normalizer;
  final int maxGap;
  final int maxTermLength;

  // The automaton. State 0 is the root; rootNext is its full transition row (0 where it has none).
  final int[] rootNext = new int[0x10000];
  final Transitions transitions;
  final int[] fail;
  final int[] depth;
  final int[] output; // first term ending exactly at a state, or -1
  final int[] dictLink; // nearest state on the failure chain (self excluded) with output, or -1

  // The terms, by id. sameNext chains terms that normalise identically (several categories).
  final String[] termText;
  final String[] termCategory;
  final int[] termLength;
  final boolean[] boundaryStart;
  final boolean[] boundaryEnd;
  final int[] sameNext;

  private KeywordMatcher(List<KeywordLibrary> libraries, int maxGap, TextNormalizer normalizer) {
    if (maxGap < 0) {
      throw new IllegalArgumentException("maxGap must be >= 0 but was " + maxGap);
    }
    this.normalizer = normalizer;
    this.maxGap = maxGap;

    List<String> texts = new ArrayList<>();
    List<String> categories = new ArrayList<>();
    List<String> normalised = new ArrayList<>();
    List<Boolean> boundaries = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int chars = 0;
    for (KeywordLibrary library : libraries) {
      for (String term : library.terms()) {
        String n = normalizer.normalize(term);
        String where = library.source() == null ? library.category() : library.source().toString();
        if (n.isEmpty()) {
          throw new IllegalArgumentException(
              where + ": term '" + term + "' has no letters or digits after normalisation");
        }
        if (n.length() > MAX_TERM_LENGTH) {
          throw new IllegalArgumentException(
              where
                  + ": term '"
                  + term
                  + "' is "
                  + n.length()
                  + " normalised characters long, the limit is "
                  + MAX_TERM_LENGTH);
        }
        if (seen.add(n + '\0' + library.category())) {
          texts.add(term);
          categories.add(library.category());
          normalised.add(n);
          boundaries.add(library.wordBoundaries());
          chars += n.length();
        }
      }
    }

    int terms = texts.size();
    termText = texts.toArray(new String[0]);
    termCategory = categories.toArray(new String[0]);
    termLength = new int[terms];
    boundaryStart = new boolean[terms];
    boundaryEnd = new boolean[terms];
    sameNext = new int[terms];

    // The trie, with child lists for the breadth-first pass.
    int capacity = chars + 1;
    int[] depths = new int[capacity];
    int[] outputs = new int[capacity];
    int[] firstChild = new int[capacity];
    int[] nextSibling = new int[capacity];
    char[] label = new char[capacity];
    Arrays.fill(outputs, -1);
    Arrays.fill(firstChild, -1);
    Transitions edges = new Transitions(chars);
    int states = 1;
    int longest = 0;
    for (int t = 0; t < terms; t++) {
      String n = normalised.get(t);
      termLength[t] = n.length();
      longest = Math.max(longest, n.length());
      boolean onBoundaries = boundaries.get(t);
      boundaryStart[t] = onBoundaries && startsWithWord(n);
      boundaryEnd[t] = onBoundaries && endsWithWord(n);
      int s = 0;
      for (int i = 0; i < n.length(); i++) {
        char c = n.charAt(i);
        int child = edges.get(s, c);
        if (child < 0) {
          child = states++;
          depths[child] = depths[s] + 1;
          label[child] = c;
          nextSibling[child] = firstChild[s];
          firstChild[s] = child;
          edges.put(s, c, child);
        }
        s = child;
      }
      sameNext[t] = -1; // appended, so identical terms report in library order
      if (outputs[s] < 0) {
        outputs[s] = t;
      } else {
        int last = outputs[s];
        while (sameNext[last] >= 0) {
          last = sameNext[last];
        }
        sameNext[last] = t;
      }
    }
    maxTermLength = Math.max(longest, 1);
    transitions = edges;
    depth = Arrays.copyOf(depths, states);
    output = Arrays.copyOf(outputs, states);
    fail = new int[states];
    dictLink = new int[states];
    dictLink[0] = -1;
    for (int child = firstChild[0]; child >= 0; child = nextSibling[child]) {
      rootNext[label[child]] = child;
    }

    // Failure and dictionary links, breadth first so that a state's links exist before its
    // children need them.
    int[] queue = new int[states];
    int head = 0;
    int tail = 0;
    queue[tail++] = 0;
    while (head < tail) {
      int u = queue[head++];
      for (int v = firstChild[u]; v >= 0; v = nextSibling[v]) {
        queue[tail++] = v;
        int f = 0;
        if (u != 0) {
          char c = label[v];
          for (int s = fail[u]; ; s = fail[s]) {
            int next = s == 0 ? rootNext[c] : edges.get(s, c);
            if (next > 0) {
              f = next;
              break;
            }
            if (s == 0) {
              break;
            }
          }
        }
        fail[v] = f;
        dictLink[v] = output[f] >= 0 ? f : dictLink[f];
      }
    }
  }

  /** Compiles libraries with the default gap bound and normaliser. */
  public static KeywordMatcher compile(List<KeywordLibrary> libraries) {
    return compile(libraries, DEFAULT_MAX_GAP, TextNormalizer.standard());
  }

  /**
   * Compiles libraries.
   *
   * @param maxGap the longest run of ignorable code points a match may cross
   * @param normalizer how text and terms are folded (its Chinese variant table in particular)
   * @throws IllegalArgumentException naming the library and term when a term is empty after
   *     normalisation or longer than {@link #MAX_TERM_LENGTH}
   */
  public static KeywordMatcher compile(
      List<KeywordLibrary> libraries, int maxGap, TextNormalizer normalizer) {
    return new KeywordMatcher(libraries, maxGap, normalizer);
  }

  /** Every match in {@code text}, ordered by start then end. */
  public List<KeywordMatch> findAll(CharSequence text) {
    Scan scan = new Scan(this);
    scan.feed(text);
    scan.finish();
    List<KeywordMatch> found = new ArrayList<>(scan.found());
    found.sort(Comparator.comparingInt(KeywordMatch::start).thenComparingInt(KeywordMatch::end));
    return found;
  }

  /** The match that starts first in {@code text}, or null. */
  public @Nullable KeywordMatch findFirst(CharSequence text) {
    List<KeywordMatch> all = findAll(text);
    return all.isEmpty() ? null : all.getFirst();
  }

  /** Whether any term occurs in {@code text}. */
  public boolean matches(CharSequence text) {
    return !findAll(text).isEmpty();
  }

  /** A filter for one output stream (see {@link StreamFilter}). */
  public StreamFilter streamFilter() {
    return new StreamFilter(this);
  }

  /** How many distinct (normalised term, category) pairs were compiled. */
  public int termCount() {
    return termText.length;
  }

  /** How many automaton states there are (the root included). */
  public int stateCount() {
    return depth.length;
  }

  /** The longest compiled term, in normalised characters (at least 1). */
  public int maxTermLength() {
    return maxTermLength;
  }

  /** The longest run of ignorable code points a match may cross. */
  public int maxGap() {
    return maxGap;
  }

  /**
   * The most code points a {@link StreamFilter} ever holds back: {@code L + (L - 1) * maxGap} with
   * {@code L = maxTermLength()}, the longest a match can span. (In UTF-16 chars at most twice that,
   * plus one for a surrogate pair split between deltas.)
   */
  public int holdBackBound() {
    return maxTermLength + (maxTermLength - 1) * maxGap;
  }

  /** The automaton's move from {@code state} on normalised character {@code c}. */
  int step(int state, char c) {
    int s = state;
    while (true) {
      if (s == 0) {
        return rootNext[c];
      }
      int next = transitions.get(s, c);
      if (next >= 0) {
        return next;
      }
      s = fail[s];
    }
  }

  private boolean startsWithWord(String normalised) {
    return normalizer.isWord(normalised.codePointAt(0));
  }

  private boolean endsWithWord(String normalised) {
    return normalizer.isWord(normalised.codePointBefore(normalised.length()));
  }
}

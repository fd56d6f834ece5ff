package dev.shelf.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A regular expression (ECMA-262 syntax, what {@link StringPattern} understands) parsed into a
 * nondeterministic automaton by Thompson's construction: states with moves on ranges of code points
 * and empty moves. Repetitions with counts copy their atom by parsing its text again; what is not
 * regular or not supported is refused with {@link IllegalArgumentException} naming the pattern's
 * place and the character.
 */
final class RegexNfa {
  /** The most automaton states a pattern may compile to ({@code {n,m}} copies its atom). */
  static final int MAX_STATES = 20_000;

  private static final int MAX_CODE_POINT = Character.MAX_CODE_POINT;

  private static final int[] ANY = {0, MAX_CODE_POINT};
  private static final int[] SURROGATES = {Character.MIN_SURROGATE, Character.MAX_SURROGATE};
  private static final int[] DIGIT = {'0', '9'};
  private static final int[] WORD = Ranges.of('0', '9', 'A', 'Z', '_', '_', 'a', 'z');
  private static final int[] SPACE =
      Ranges.of(
          '\t', '\r', ' ', ' ', 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F,
          0x202F, 0x205F, 0x205F, 0x3000, 0x3000, 0xFEFF, 0xFEFF);
  private static final int[] DOT =
      Ranges.complement(Ranges.of('\n', '\n', '\r', '\r', 0x2028, 0x2029));

  final List<List<int[]>> charRanges = new ArrayList<>();
  final List<List<Integer>> charTargets = new ArrayList<>();
  final List<List<Integer>> empty = new ArrayList<>();
  private final int[] src;
  private final String where;
  private int pos;
  private final int[] whole;

  RegexNfa(String regex, String where) {
    this.src = regex.codePoints().toArray();
    this.where = where;
    this.whole = top();
  }

  int[] whole() {
    return whole;
  }

  int size() {
    return empty.size();
  }

  BitSet closure(int s) {
    BitSet seen = new BitSet();
    ArrayList<Integer> todo = new ArrayList<>(List.of(s));
    seen.set(s);
    while (!todo.isEmpty()) {
      int u = todo.removeLast();
      for (int v : empty.get(u)) {
        if (!seen.get(v)) {
          seen.set(v);
          todo.add(v);
        }
      }
    }
    return seen;
  }

  private int node() {
    if (empty.size() >= MAX_STATES) {
      throw new IllegalArgumentException(
          "the pattern at " + where + " is too large to enforce (over " + MAX_STATES + " states)");
    }
    charRanges.add(new ArrayList<>());
    charTargets.add(new ArrayList<>());
    empty.add(new ArrayList<>());
    return empty.size() - 1;
  }

  private void eps(int from, int to) {
    empty.get(from).add(to);
  }

  /**
   * A move on the characters of {@code ranges} that a JSON string can hold (all but lone
   * surrogates); none when there are none, so that no path to a match goes through a character no
   * one can write.
   */
  private int[] chars(int[] ranges) {
    int s = node();
    int e = node();
    int[] writable = Ranges.complement(Ranges.union(Ranges.complement(ranges), SURROGATES));
    if (writable.length > 0) {
      charRanges.get(s).add(writable);
      charTargets.get(s).add(e);
    }
    return new int[] {s, e};
  }

  private int[] nothing() {
    int s = node();
    return new int[] {s, s};
  }

  private int[] concat(int[] a, int[] b) {
    eps(a[1], b[0]);
    return new int[] {a[0], b[1]};
  }

  private int[] alt(int[] a, int[] b) {
    int s = node();
    int e = node();
    eps(s, a[0]);
    eps(s, b[0]);
    eps(a[1], e);
    eps(b[1], e);
    return new int[] {s, e};
  }

  private int[] star(int[] a) {
    int s = node();
    int e = node();
    eps(s, a[0]);
    eps(s, e);
    eps(a[1], a[0]);
    eps(a[1], e);
    return new int[] {s, e};
  }

  private int[] optional(int[] a) {
    int s = node();
    int e = node();
    eps(s, a[0]);
    eps(s, e);
    eps(a[1], e);
    return new int[] {s, e};
  }

  private IllegalArgumentException refused(String what) {
    return new IllegalArgumentException(
        "the pattern at " + where + " " + what + " (at character " + pos + ")");
  }

  private boolean at(int c) {
    return pos < src.length && src[pos] == c;
  }

  /** The whole pattern: top-level alternatives, each unanchored unless it says. */
  private int[] top() {
    int[] f = anchored();
    while (at('|')) {
      pos++;
      f = alt(f, anchored());
    }
    if (pos < src.length) {
      throw refused("has an unmatched ')'");
    }
    return f;
  }

  private int[] anchored() {
    boolean start = at('^');
    if (start) {
      pos++;
    }
    int[] f = nothing();
    boolean end = false;
    while (pos < src.length && !at('|') && !at(')')) {
      if (at('$')) {
        pos++;
        if (pos < src.length && !at('|')) {
          throw refused("has '$' before its end");
        }
        end = true;
        break;
      }
      f = concat(f, quantified(0));
    }
    if (!start) {
      f = concat(star(chars(ANY)), f);
    }
    return end ? f : concat(f, star(chars(ANY)));
  }

  private int[] alternatives(int depth) {
    int[] f = sequence(depth);
    while (at('|')) {
      pos++;
      f = alt(f, sequence(depth));
    }
    return f;
  }

  private int[] sequence(int depth) {
    int[] f = nothing();
    while (pos < src.length && !at('|') && !at(')')) {
      f = concat(f, quantified(depth));
    }
    return f;
  }

  private int[] quantified(int depth) {
    int from = pos;
    int[] atom = atom(depth);
    int to = pos;
    while (pos < src.length) {
      int c = src[pos];
      int least;
      int most;
      if (c == '*' || c == '+' || c == '?') {
        pos++;
        least = c == '+' ? 1 : 0;
        most = c == '?' ? 1 : -1;
      } else if (c == '{' && bounds() != null) {
        int[] b = bounds();
        least = b[0];
        most = b[1];
        pos = b[2];
      } else {
        break;
      }
      if (at('?')) {
        pos++; // lazy: the same strings
      }
      int after = pos;
      atom = repeat(atom, least, most, from, to, depth);
      pos = after;
      if (pos < src.length && (at('*') || at('+') || at('?') || (at('{') && bounds() != null))) {
        throw refused("repeats a repetition, which ECMA-262 does not allow");
      }
      break;
    }
    return atom;
  }

  /** {@code {n}}, {@code {n,}} or {@code {n,m}} at pos: least, most (-1: none), end; or null. */
  private int @Nullable [] bounds() {
    int p = pos + 1;
    int least = 0;
    int digits = 0;
    while (p < src.length && src[p] >= '0' && src[p] <= '9') {
      least = Math.min(100_000, least * 10 + src[p++] - '0');
      digits++;
    }
    if (digits == 0) {
      return null;
    }
    int most = least;
    if (p < src.length && src[p] == ',') {
      p++;
      most = -1;
      int more = 0;
      int value = 0;
      while (p < src.length && src[p] >= '0' && src[p] <= '9') {
        value = Math.min(100_000, value * 10 + src[p++] - '0');
        more++;
      }
      if (more > 0) {
        most = value;
      }
    }
    if (p >= src.length || src[p] != '}') {
      return null;
    }
    if (most >= 0 && most < least) {
      pos = p;
      throw refused("has a repetition of at least " + least + " but at most " + most);
    }
    return new int[] {least, most, p + 1};
  }

  /** The atom repeated: copies are made by parsing its text ({@code from, to}) again. */
  private int[] repeat(int[] atom, int least, int most, int from, int to, int depth) {
    List<int[]> copies = new ArrayList<>();
    copies.add(atom);
    int needed = Math.max(least, most < 0 ? least + 1 : most);
    for (int i = 1; i < needed; i++) {
      pos = from;
      copies.add(atom(depth));
      if (pos != to) {
        throw refused("could not be repeated");
      }
    }
    int[] f = nothing();
    for (int i = 0; i < least; i++) {
      f = concat(f, copies.get(i));
    }
    if (most < 0) {
      return concat(f, star(copies.get(least == 0 ? 0 : least)));
    }
    // the optional copies nest, so that a later one comes only after an earlier one
    int[] tail = nothing();
    for (int i = most - 1; i >= least; i--) {
      tail = optional(concat(copies.get(i), tail));
    }
    return concat(f, tail);
  }

  private int[] atom(int depth) {
    int c = src[pos++];
    switch (c) {
      case '(' -> {
        if (at('?')) {
          if (pos + 1 < src.length && src[pos + 1] == ':') {
            pos += 2;
          } else if (pos + 1 < src.length
              && src[pos + 1] == '<'
              && pos + 2 < src.length
              && src[pos + 2] != '='
              && src[pos + 2] != '!') {
            while (pos < src.length && src[pos] != '>') {
              pos++;
            }
            pos++;
          } else {
            throw refused("has a look-around, which is not supported");
          }
        }
        int[] f = alternatives(depth + 1);
        if (!at(')')) {
          throw refused("has an unclosed '('");
        }
        pos++;
        return f;
      }
      case '[' -> {
        return chars(charClass());
      }
      case '.' -> {
        return chars(DOT);
      }
      case '\\' -> {
        return chars(escape(false));
      }
      case '^', '$' -> throw refused("has an anchor inside, which is not supported");
      case '*', '+', '?' -> throw refused("has nothing before a quantifier");
      default -> {
        return chars(new int[] {c, c});
      }
    }
  }

  private int[] charClass() {
    boolean negated = at('^');
    if (negated) {
      pos++;
    }
    int[] set = new int[0];
    while (!at(']')) {
      if (pos >= src.length) {
        throw refused("has an unclosed '['");
      }
      int[] first = classAtom();
      if (at('-') && pos + 1 < src.length && src[pos + 1] != ']' && single(first)) {
        int save = pos;
        pos++;
        int[] last = classAtom();
        if (single(last)) {
          if (last[0] < first[0]) {
            throw refused("has a range out of order");
          }
          set = Ranges.union(set, new int[] {first[0], last[0]});
          continue;
        }
        pos = save;
      }
      set = Ranges.union(set, first);
    }
    pos++;
    return negated ? Ranges.complement(set) : set;
  }

  private static boolean single(int[] ranges) {
    return ranges.length == 2 && ranges[0] == ranges[1];
  }

  private int[] classAtom() {
    int c = src[pos++];
    return c == '\\' ? escape(true) : new int[] {c, c};
  }

  private int[] escape(boolean inClass) {
    if (pos >= src.length) {
      throw refused("ends in a lone '\\'");
    }
    int c = src[pos++];
    return switch (c) {
      case 'd' -> DIGIT;
      case 'D' -> Ranges.complement(DIGIT);
      case 'w' -> WORD;
      case 'W' -> Ranges.complement(WORD);
      case 's' -> SPACE;
      case 'S' -> Ranges.complement(SPACE);
      case 't' -> point('\t');
      case 'n' -> point('\n');
      case 'r' -> point('\r');
      case 'f' -> point('\f');
      case 'v' -> point(0x0B);
      case '0' -> {
        if (pos < src.length && src[pos] >= '0' && src[pos] <= '9') {
          throw refused("has an octal escape, which is not supported");
        }
        yield point(0);
      }
      case 'b' -> {
        if (inClass) {
          yield point(8);
        }
        throw refused("has a word boundary, which is not supported");
      }
      case 'x' -> point(hex(2));
      case 'u' -> {
        if (at('{')) {
          pos++;
          int v = 0;
          while (!at('}')) {
            if (pos >= src.length) {
              throw refused("has an unclosed \\u{");
            }
            v = v * 16 + digit(src[pos++]);
            if (v > MAX_CODE_POINT) {
              throw refused("names a code point past U+10FFFF");
            }
          }
          pos++;
          yield point(v);
        }
        int unit = hex(4);
        // a pair of escaped surrogates is the one character they encode, as in Unicode mode
        if (Character.isHighSurrogate((char) unit)
            && pos + 5 < src.length
            && src[pos] == '\\'
            && src[pos + 1] == 'u') {
          int save = pos;
          pos += 2;
          int low = hex(4);
          if (Character.isLowSurrogate((char) low)) {
            yield point(Character.toCodePoint((char) unit, (char) low));
          }
          pos = save;
        }
        yield point(unit);
      }
      case 'c' -> {
        if (pos < src.length
            && ((src[pos] >= 'a' && src[pos] <= 'z') || (src[pos] >= 'A' && src[pos] <= 'Z'))) {
          yield point(src[pos++] % 32);
        }
        throw refused("has a \\c without a letter");
      }
      case 'p', 'P', 'k', 'B' -> throw refused("has \\" + (char) c + ", which is not supported");
      default -> {
        if (c >= '1' && c <= '9') {
          throw refused("has a back reference, which is not supported");
        }
        yield point(c);
      }
    };
  }

  private static int[] point(int c) {
    return new int[] {c, c};
  }

  private int hex(int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
      if (pos >= src.length) {
        throw refused("has a short hexadecimal escape");
      }
      v = v * 16 + digit(src[pos++]);
    }
    return v;
  }

  private int digit(int c) {
    int d = Character.digit(c, 16);
    if (d < 0) {
      throw refused("has a bad hexadecimal digit");
    }
    return d;
  }

  /** Sorted, disjoint, inclusive code point ranges as {@code lo, hi} pairs. */
  static final class Ranges {
    private Ranges() {}

    static int[] of(int... pairs) {
      return normalize(pairs);
    }

    static boolean meets(int[] ranges, int lo, int hi) {
      for (int i = 0; i < ranges.length; i += 2) {
        if (ranges[i] <= hi && ranges[i + 1] >= lo) {
          return true;
        }
      }
      return false;
    }

    static int[] union(int[] a, int[] b) {
      int[] both = Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, both, a.length, b.length);
      return normalize(both);
    }

    static int[] complement(int[] ranges) {
      List<Integer> out = new ArrayList<>();
      int next = 0;
      for (int i = 0; i < ranges.length; i += 2) {
        if (ranges[i] > next) {
          out.add(next);
          out.add(ranges[i] - 1);
        }
        next = ranges[i + 1] + 1;
      }
      if (next <= MAX_CODE_POINT) {
        out.add(next);
        out.add(MAX_CODE_POINT);
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] normalize(int[] pairs) {
      int n = pairs.length / 2;
      long[] packed = new long[n];
      for (int i = 0; i < n; i++) {
        packed[i] = ((long) pairs[2 * i] << 32) | pairs[2 * i + 1];
      }
      Arrays.sort(packed);
      List<Integer> out = new ArrayList<>();
      for (long p : packed) {
        int lo = (int) (p >>> 32);
        int hi = (int) p;
        if (!out.isEmpty() && lo <= out.getLast() + 1) {
          out.set(out.size() - 1, Math.max(out.getLast(), hi));
        } else {
          out.add(lo);
          out.add(hi);
        }
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }
  }
}

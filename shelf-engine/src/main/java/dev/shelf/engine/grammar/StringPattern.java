package dev.shelf.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A JSON Schema {@code pattern} (ECMA-262 syntax) compiled to an automaton over code points, which
 * a string value follows character by character while a model writes it.
 *
 * <h2>What is understood</h2>
 *
 * The regular part of the syntax: characters and escapes ({@code \d \w \s} and their negations,
 * {@code \t \n \r \f \v \0 \xHH}, a {@code u} escape of four hex digits or of hex digits in braces,
 * an escaped punctuation character), classes with ranges and negation, {@code .}, groups ({@code
 * (...)}, {@code (?:...)}, {@code (?<name>...)}), alternation, and the quantifiers {@code * + ? {n}
 * {n,} {n,m}} (lazy or not: the same strings). As JSON Schema says, a pattern matches anywhere in
 * the string unless anchored: {@code ^} at the start and {@code $} at the end of the pattern or of
 * one of its top-level alternatives. What is not regular or not supported (back references,
 * look-around, {@code \b}, Unicode property classes, anchors elsewhere) is refused with {@link
 * IllegalArgumentException}, so a schema is never enforced as something it does not say.
 *
 * <h2>No dead ends</h2>
 *
 * The automaton is compiled with the string's length bounds: for each state it knows the exact
 * numbers of characters after which the pattern can be complete (up to {@code maxLength}, or, with
 * no most, up to {@code minLength} plus the state count, which is enough: a longer path repeats a
 * state, and cutting the loop out leaves one in between). A character is taken only when some state
 * it leads to can still complete the pattern within the bounds, so the string can always be closed.
 */
final class StringPattern {
  /** The most automaton states a pattern may compile to ({@code {n,m}} copies its atom). */
  static final int MAX_STATES = 20_000;

  /** The most (state, length) pairs the length table may hold. */
  private static final long MAX_CELLS = 20_000_000L;

  /**
   * The most moves (all states' together) and steps of the length table: bounds on the work a
   * request's schema may ask for (a pattern of nested repetitions can otherwise take seconds).
   */
  private static final int MAX_MOVES = 200_000;

  private static final long MAX_WORK = 100_000_000L;

  private static final int MAX_CODE_POINT = Character.MAX_CODE_POINT;

  /** {@code format}s enforced, as patterns (RFC 3339 dates and times, RFC 4122 UUIDs, ...). */
  static final Map<String, String> FORMATS =
      Map.of(
          "date", "^" + Formats.DATE + "$",
          "time", "^" + Formats.TIME + "$",
          "date-time", "^" + Formats.DATE + "[Tt]" + Formats.TIME + "$",
          "uuid", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
          "ipv4", "^(" + Formats.OCTET + "\\.){3}" + Formats.OCTET + "$",
          "email",
              "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                  + Formats.LABEL
                  + "(\\."
                  + Formats.LABEL
                  + ")+$",
          "hostname", "^" + Formats.LABEL + "(\\." + Formats.LABEL + ")*$");

  private static final class Formats {
    /** A month's days by its length (February's 29th in any year: leap years are not regular). */
    static final String DATE =
        "\\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])|(0[469]|11)-(0[1-9]|[12]\\d|30)"
            + "|02-(0[1-9]|[12]\\d))";

    static final String TIME =
        "([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)(\\.\\d+)?([Zz]|[+-]([01]\\d|2[0-3]):[0-5]\\d)";
    static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

    private Formats() {}
  }

  /** Per state: the ranges ({@code lo, hi} pairs) of each move, and where each move leads. */
  private final int[][][] moveRanges;

  private final int[][] moveTargets;

  /**
   * Per state: the exact counts of characters after which the pattern can be complete, up to {@code
   * maxChars} (with a most); without one, only whether it can be complete at once.
   */
  private final BitSet[] lengths;

  /**
   * Per state, with no most: the longest count of characters after which the pattern can be
   * complete ({@link Integer#MAX_VALUE}: any count, through a loop; -1: never).
   */
  private final int[] longest;

  /** Steps taken already: the same sets recur from token to token. */
  private final Map<StepKey, BitSet> steps = new ConcurrentHashMap<>();

  private record StepKey(BitSet states, int lo, int hi) {}

  private static final int MAX_CACHED_STEPS = 50_000;

  private final int start;
  private final int minChars;
  private final int maxChars;

  private StringPattern(
      int[][][] moveRanges,
      int[][] moveTargets,
      BitSet[] lengths,
      int[] longest,
      int start,
      int minChars,
      int maxChars) {
    this.moveRanges = moveRanges;
    this.moveTargets = moveTargets;
    this.lengths = lengths;
    this.longest = longest;
    this.start = start;
    this.minChars = minChars;
    this.maxChars = maxChars;
  }

  /**
   * Compiles {@code regex} for strings of {@code minChars} to {@code maxChars} characters ({@code
   * maxChars} -1: no most).
   *
   * @throws IllegalArgumentException naming {@code where} if the pattern is not understood, too
   *     large, or no string of the allowed lengths matches it
   */
  static StringPattern compile(String regex, int minChars, int maxChars, String where) {
    Nfa nfa = new Nfa(regex, where);
    int[] whole = nfa.whole();
    int n = nfa.size();
    // the states a string can be in: the start and where a character leads
    boolean[] position = new boolean[n];
    position[whole[0]] = true;
    for (List<Integer> ts : nfa.charTargets) {
      for (int t : ts) {
        position[t] = true;
      }
    }
    int[][][] ranges = new int[n][][];
    int[][] targets = new int[n][];
    boolean[] accepting = new boolean[n];
    List<List<Integer>> preds = new ArrayList<>(n);
    for (int s = 0; s < n; s++) {
      preds.add(new ArrayList<>());
    }
    long moves = 0;
    for (int s = 0; s < n; s++) {
      List<int[]> rs = new ArrayList<>();
      List<Integer> ts = new ArrayList<>();
      BitSet c = position[s] ? nfa.closure(s) : new BitSet();
      for (int u = c.nextSetBit(0); u >= 0; u = c.nextSetBit(u + 1)) {
        for (int e = 0; e < nfa.charTargets.get(u).size(); e++) {
          rs.add(nfa.charRanges.get(u).get(e));
          int t = nfa.charTargets.get(u).get(e);
          ts.add(t);
          preds.get(t).add(s);
        }
      }
      moves += ts.size();
      if (moves > MAX_MOVES) {
        throw new IllegalArgumentException(
            "the pattern at " + where + " is too large to enforce (over " + MAX_MOVES + " moves)");
      }
      accepting[s] = c.get(whole[1]);
      ranges[s] = rs.toArray(new int[0][]);
      targets[s] = ts.stream().mapToInt(Integer::intValue).toArray();
    }
    // with a most, the exact counts up to it; without, only whether a count is 0 (the rest is
    // the longest path, below)
    int cap = maxChars >= 0 ? maxChars : 0;
    if ((long) n * (cap + 1L) > MAX_CELLS || moves * (cap + 1L) > MAX_WORK) {
      throw new IllegalArgumentException(
          "the pattern at " + where + " is too large to enforce with its length bounds");
    }
    BitSet[] lengths = new BitSet[n];
    for (int s = 0; s < n; s++) {
      lengths[s] = new BitSet();
    }
    // states with a path of exactly k characters to a match: k = 0 the accepting ones, then back
    // along the moves one character at a time
    BitSet exactly = new BitSet(n);
    for (int s = 0; s < n; s++) {
      if (accepting[s]) {
        exactly.set(s);
      }
    }
    for (int k = 0; k <= cap && !exactly.isEmpty(); k++) {
      BitSet before = new BitSet(n);
      for (int t = exactly.nextSetBit(0); t >= 0; t = exactly.nextSetBit(t + 1)) {
        lengths[t].set(k);
        for (int s : preds.get(t)) {
          before.set(s);
        }
      }
      exactly = before;
    }
    int[] longest = maxChars >= 0 ? new int[0] : longest(targets, accepting, preds);
    StringPattern p =
        new StringPattern(
            ranges, targets, lengths, longest, whole[0], minChars, maxChars < 0 ? -1 : maxChars);
    if (!p.viable(p.start(), 0)) {
      throw new IllegalArgumentException(
          "no string of the allowed length matches the pattern at " + where);
    }
    return p;
  }

  /**
   * Each state's longest path to a match, in characters: -1 when there is none, {@link
   * Integer#MAX_VALUE} when a loop on the way makes it as long as one likes.
   *
   * <p>Among the states that can match (found back from the accepting ones), a depth-first search
   * finds the loops: each loop has an edge back to a state still on the search's stack, and every
   * state that reaches such a state has no longest path. The rest form a graph without loops, where
   * the longest path is worked out in the search's finishing order. Iterative (patterns may have
   * thousands of states).
   */
  private static int[] longest(int[][] targets, boolean[] accepting, List<List<Integer>> preds) {
    int n = targets.length;
    BitSet live = new BitSet(n);
    for (int s = 0; s < n; s++) {
      if (accepting[s]) {
        live.set(s);
      }
    }
    BitSet all = new BitSet(n);
    all.set(0, n);
    back(live, all, preds);
    BitSet loops = new BitSet(n);
    int[] order = new int[n];
    int finished = 0;
    byte[] mark = new byte[n]; // 0 new, 1 on the stack, 2 done
    int[] stack = new int[n];
    int[] edge = new int[n];
    for (int root = live.nextSetBit(0); root >= 0; root = live.nextSetBit(root + 1)) {
      if (mark[root] != 0) {
        continue;
      }
      int depth = 0;
      stack[0] = root;
      edge[0] = 0;
      mark[root] = 1;
      while (depth >= 0) {
        int st = stack[depth];
        if (edge[depth] < targets[st].length) {
          int t = targets[st][edge[depth]++];
          if (!live.get(t)) {
            continue;
          }
          if (mark[t] == 0) {
            mark[t] = 1;
            stack[++depth] = t;
            edge[depth] = 0;
          } else if (mark[t] == 1) {
            loops.set(t);
          }
          continue;
        }
        mark[st] = 2;
        order[finished++] = st;
        depth--;
      }
    }
    BitSet endless = (BitSet) loops.clone();
    back(endless, live, preds);
    int[] best = new int[n];
    java.util.Arrays.fill(best, -1);
    // finishing order puts each state after every state it reaches (no loops among the rest)
    for (int i = 0; i < finished; i++) {
      int st = order[i];
      if (endless.get(st)) {
        best[st] = Integer.MAX_VALUE;
        continue;
      }
      int b = accepting[st] ? 0 : -1;
      for (int t : targets[st]) {
        if (live.get(t) && best[t] >= 0) {
          b = Math.max(b, best[t] + 1);
        }
      }
      best[st] = b;
    }
    return best;
  }

  /** Adds to {@code set} every state of {@code within} that reaches it (back along the moves). */
  private static void back(BitSet set, BitSet within, List<List<Integer>> preds) {
    java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>();
    for (int t = set.nextSetBit(0); t >= 0; t = set.nextSetBit(t + 1)) {
      todo.add(t);
    }
    while (!todo.isEmpty()) {
      for (int p : preds.get(todo.poll())) {
        if (within.get(p) && !set.get(p)) {
          set.set(p);
          todo.add(p);
        }
      }
    }
  }

  /** The states before the first character. */
  BitSet start() {
    BitSet s = new BitSet();
    s.set(start);
    return s;
  }

  /** The states after any one character in {@code [lo, hi]} from {@code states}. */
  BitSet step(BitSet states, int lo, int hi) {
    StepKey key = new StepKey(states, lo, hi);
    BitSet known = steps.get(key);
    if (known != null) {
      return known;
    }
    BitSet out = stepOnce(states, lo, hi);
    if (steps.size() >= MAX_CACHED_STEPS) {
      steps.clear();
    }
    steps.put(key, out);
    return out;
  }

  private BitSet stepOnce(BitSet states, int lo, int hi) {
    BitSet out = new BitSet();
    for (int s = states.nextSetBit(0); s >= 0; s = states.nextSetBit(s + 1)) {
      int[][] rs = moveRanges[s];
      for (int e = 0; e < rs.length; e++) {
        if (Ranges.meets(rs[e], lo, hi)) {
          out.set(moveTargets[s][e]);
        }
      }
    }
    return out;
  }

  /**
   * Whether some character in {@code [lo, hi]} other than a surrogate, written as the {@code
   * chars}-th, leaves the string able to match.
   */
  boolean takes(BitSet states, int lo, int hi, int chars) {
    if (lo < Character.MIN_SURROGATE && viable(step(states, lo, Math.min(hi, 0xD7FF)), chars)) {
      return true;
    }
    int from = Math.max(lo, Character.MAX_SURROGATE + 1);
    return from <= hi && viable(step(states, from, hi), chars);
  }

  /** Whether the string, {@code chars} characters long and in {@code states}, may end here. */
  boolean matches(BitSet states, int chars) {
    for (int s = states.nextSetBit(0); s >= 0; s = states.nextSetBit(s + 1)) {
      if (lengths[s].get(0)) {
        return chars >= minChars;
      }
    }
    return false;
  }

  /**
   * Whether a string in {@code states} after {@code chars} characters can still be completed to a
   * match of an allowed length.
   */
  boolean viable(BitSet states, int chars) {
    int need = Math.max(0, minChars - chars);
    if (maxChars < 0) {
      for (int s = states.nextSetBit(0); s >= 0; s = states.nextSetBit(s + 1)) {
        if (longest[s] >= need) {
          return true;
        }
      }
      return false;
    }
    int most = maxChars - chars;
    if (most < need) {
      return false;
    }
    for (int s = states.nextSetBit(0); s >= 0; s = states.nextSetBit(s + 1)) {
      int k = lengths[s].nextSetBit(need);
      if (k >= 0 && k <= most) {
        return true;
      }
    }
    return false;
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

  /** Thompson's construction: states with character moves and empty moves. */
  private static final class Nfa {
    private static final int[] ANY = {0, MAX_CODE_POINT};
    private static final int[] SURROGATES = {Character.MIN_SURROGATE, Character.MAX_SURROGATE};
    private static final int[] DIGIT = {'0', '9'};
    private static final int[] WORD = Ranges.of('0', '9', 'A', 'Z', '_', '_', 'a', 'z');
    private static final int[] SPACE =
        Ranges.of(
            '\t', '\r', ' ', ' ', 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029,
            0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000, 0xFEFF, 0xFEFF);
    private static final int[] DOT =
        Ranges.complement(Ranges.of('\n', '\n', '\r', '\r', 0x2028, 0x2029));

    final List<List<int[]>> charRanges = new ArrayList<>();
    final List<List<Integer>> charTargets = new ArrayList<>();
    final List<List<Integer>> empty = new ArrayList<>();
    private final int[] src;
    private final String where;
    private int pos;
    private final int[] whole;

    Nfa(String regex, String where) {
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
            "the pattern at "
                + where
                + " is too large to enforce (over "
                + MAX_STATES
                + " states)");
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
  }
}

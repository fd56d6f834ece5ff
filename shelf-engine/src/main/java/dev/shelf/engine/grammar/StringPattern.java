package dev.shelf.engine.grammar;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
 * The automaton is compiled with the string's length bounds. With a {@code maxLength}, each state
 * knows the exact numbers of characters (up to it) after which the pattern can be complete; with
 * none, its longest such number (any, when a loop lies on the way), which is all a {@code
 * minLength} asks. Moves keep only characters a JSON string can hold (no lone surrogates). A
 * character is taken only when some state it leads to can still complete the pattern within the
 * bounds, so the string can always be closed. The parsing is {@link RegexNfa}'s.
 */
final class StringPattern {
  /** The most (state, length) pairs the length table may hold. */
  private static final long MAX_CELLS = 20_000_000L;

  /**
   * The most moves (all states' together) and steps of the length table: bounds on the work a
   * request's schema may ask for (a pattern of nested repetitions can otherwise take seconds).
   */
  private static final int MAX_MOVES = 200_000;

  private static final long MAX_WORK = 100_000_000L;

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

  /**
   * The most characters a string of a format may have, where the format's own rule bounds it beyond
   * its pattern: a host name's 253 (RFC 1123, without a final dot) and an address's 254 (RFC 5321's
   * path of 256 less its angle brackets).
   */
  static final Map<String, Integer> FORMAT_LENGTHS = Map.of("hostname", 253, "email", 254);

  private static final class Formats {
    /**
     * A Gregorian leap year of four digits: a multiple of 4 by its last two digits, not ending in
     * 00, or a multiple of 400 (a multiple of 4 followed by 00).
     */
    static final String LEAP_YEAR =
        "(\\d\\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)";

    /** A month's days by its length, February's 29th in leap years only. */
    static final String DATE =
        "(\\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])|(0[469]|11)-(0[1-9]|[12]\\d|30)"
            + "|02-(0[1-9]|1\\d|2[0-8]))|"
            + LEAP_YEAR
            + "-02-29)";

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
    RegexNfa nfa = new RegexNfa(regex, where);
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
        if (RegexNfa.Ranges.meets(rs[e], lo, hi)) {
          out.set(moveTargets[s][e]);
        }
      }
    }
    return out;
  }

  /**
   * Whether some character in {@code [lo, hi]}, written as the {@code chars}-th, leaves the string
   * able to match (no move takes a lone surrogate: {@link RegexNfa} leaves them out).
   */
  boolean takes(BitSet states, int lo, int hi, int chars) {
    return viable(step(states, lo, hi), chars);
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
}

package dev.shelf.engine.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Rewrites Jinja2 template source so that Jinjava reads it as Jinja2 does. Only the text inside
 * {@code {{ }}} and {@code {% %}} changes:
 *
 * <ul>
 *   <li>{@code not} gets Python's precedence (below comparisons and {@code is} tests, above {@code
 *       and}/{@code or}): Jinjava binds it tightly, so {@code not x is defined} meant {@code (not
 *       x) is defined}; it becomes {@code not (x is defined)}.
 *   <li>{@code for X in ITEMS if COND} (a filtered loop, which Jinjava ignores silently) becomes
 *       {@code for X in (ITEMS)|__py_select('COND', 'X')}, so {@code loop.last} and friends count
 *       only the kept items.
 *   <li>{@code loop.previtem}/{@code loop.nextitem}, which Jinjava lacks, are spelled out with the
 *       loop's iterable when it is a plain variable path.
 * </ul>
 *
 * Outside tags: {@code \r\n} becomes {@code \n} and one trailing newline is dropped (Jinja2's
 * {@code keep_trailing_newline=False}).
 */
final class TemplateSource {
  private TemplateSource() {}

  private static final Set<String> BEFORE_UNARY =
      Set.of("and", "or", "not", "if", "elif", "else", "in", "return", "for", "set", "do");
  private static final Set<String> ENDS_NOT = Set.of("and", "or", "if", "else", "for", "recursive");
  private static final Pattern FOR_TAG =
      Pattern.compile("\\s*for\\s+(.+?)\\s+in\\s+(.+?)\\s*", Pattern.DOTALL);
  private static final Pattern SIMPLE_PATH = Pattern.compile("[A-Za-z_][\\w.]*(\\[[^\\[\\]]*])*");
  private static final Pattern LOOP_ITEM = Pattern.compile("\\bloop\\.(previtem|nextitem)\\b");

  static String prepare(String source) {
    String s = source.replace("\r\n", "\n");
    if (s.endsWith("\n")) {
      s = s.substring(0, s.length() - 1);
    }
    StringBuilder out = new StringBuilder(s.length() + 64);
    List<@Nullable String> loops = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      int open = nextTag(s, i);
      if (open < 0) {
        out.append(s, i, s.length());
        break;
      }
      out.append(s, i, open);
      char kind = s.charAt(open + 1);
      if (kind == '#') {
        i = comment(s, open, out);
        continue;
      }
      int start = open + 2;
      if (start < s.length() && (s.charAt(start) == '-' || s.charAt(start) == '+')) {
        start++;
      }
      int close = tagEnd(s, start, kind == '{' ? '}' : '%');
      if (close < 0) {
        out.append(s, open, s.length());
        break;
      }
      int end = close;
      if (end > start && (s.charAt(end - 1) == '-' || s.charAt(end - 1) == '+')) {
        end--;
      }
      String body = fixNot(s.substring(start, end));
      if (kind == '%') {
        body = loopTag(body, loops);
      }
      String top = loops.isEmpty() ? null : loops.getLast();
      if (top != null) {
        body = loopItems(body, top);
      }
      out.append(s, open, start).append(body).append(s, end, close + 2);
      i = close + 2;
    }
    return out.toString();
  }

  /**
   * Replaces a comment by an empty expression with the same {@code -} markers, applying Jinja2's
   * {@code lstrip_blocks}/{@code trim_blocks} to its unmarked sides by hand: Jinjava trims around
   * comments differently. Returns the index after the comment.
   */
  private static int comment(String s, int open, StringBuilder out) {
    int close = s.indexOf("#}", open + 2);
    if (close < 0) {
      out.append(s, open, s.length());
      return s.length();
    }
    boolean stripLeft = open + 2 < close && s.charAt(open + 2) == '-';
    boolean keepLeft = open + 2 < close && s.charAt(open + 2) == '+';
    boolean stripRight = close - 1 > open + 1 && s.charAt(close - 1) == '-';
    if (!stripLeft && !keepLeft) {
      int lineStart = out.length();
      while (lineStart > 0
          && (out.charAt(lineStart - 1) == ' ' || out.charAt(lineStart - 1) == '\t')) {
        lineStart--;
      }
      if (lineStart == 0 || out.charAt(lineStart - 1) == '\n') {
        out.setLength(lineStart);
      }
    }
    out.append(stripLeft ? "{{- '' " : "{{ '' ").append(stripRight ? "-}}" : "}}");
    int end = close + 2;
    if (!stripRight && end < s.length() && s.charAt(end) == '\n') {
      end++;
    }
    return end;
  }

  private static int nextTag(String s, int from) {
    for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
      char c = s.charAt(i + 1);
      if (c == '{' || c == '%' || c == '#') {
        return i;
      }
    }
    return -1;
  }

  /** Index of the closing {@code }}}/{@code %}} of a tag, skipping string literals. */
  private static int tagEnd(String s, int from, char closer) {
    for (int i = from; i + 1 < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i = stringEnd(s, i);
      } else if (c == closer && s.charAt(i + 1) == '}') {
        return i;
      }
    }
    return -1;
  }

  private static int stringEnd(String s, int quoteAt) {
    char q = s.charAt(quoteAt);
    for (int i = quoteAt + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == q) {
        return i;
      }
    }
    return s.length() - 1;
  }

  /** Tracks for/endfor nesting and rewrites filtered loops. */
  private static String loopTag(String body, List<@Nullable String> loops) {
    String trimmed = body.strip();
    if (trimmed.equals("endfor")) {
      if (!loops.isEmpty()) {
        loops.removeLast();
      }
      return body;
    }
    if (!trimmed.startsWith("for ") && !trimmed.startsWith("for\n")) {
      return body;
    }
    Matcher m = FOR_TAG.matcher(body);
    if (!m.matches()) {
      loops.add(null);
      return body;
    }
    String targets = m.group(1);
    String rest = m.group(2);
    int ifAt = topLevelKeyword(rest, "if");
    if (ifAt < 0) {
      loops.add(SIMPLE_PATH.matcher(rest).matches() ? rest : null);
      return body;
    }
    loops.add(null);
    String iterable = rest.substring(0, ifAt).strip();
    String condition = rest.substring(ifAt + 2).strip();
    String recursive = "";
    if (condition.endsWith(" recursive")) {
      condition = condition.substring(0, condition.length() - " recursive".length());
      recursive = " recursive";
    }
    return " for "
        + targets
        + " in ("
        + iterable
        + ")|__py_select("
        + literal(condition)
        + ", "
        + literal(targets)
        + ")"
        + recursive
        + " ";
  }

  private static String literal(String text) {
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String loopItems(String body, String iterable) {
    Matcher m = LOOP_ITEM.matcher(body);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement =
          "previtem".equals(m.group(1))
              ? "(" + iterable + "[loop.index0 - 1] if loop.index0 > 0 else none)"
              : "(" + iterable + "[loop.index0 + 1] if not loop.last else none)";
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The position of a keyword outside brackets and strings, or -1. */
  private static int topLevelKeyword(String expr, String keyword) {
    List<Token> tokens = tokens(expr);
    int depth = 0;
    for (Token t : tokens) {
      if (t.open()) {
        depth++;
      } else if (t.close()) {
        depth--;
      } else if (depth == 0 && t.text().equals(keyword)) {
        return t.start();
      }
    }
    return -1;
  }

  /** Wraps the operand of each unary {@code not} in parentheses, up to Python's precedence. */
  static String fixNot(String expr) {
    List<Token> tokens = tokens(expr);
    int[] insertOpen = new int[expr.length() + 1];
    int[] insertClose = new int[expr.length() + 1];
    boolean changed = false;
    for (int k = 0; k < tokens.size(); k++) {
      Token t = tokens.get(k);
      if (!t.text().equals("not")) {
        continue;
      }
      Token prev = k > 0 ? tokens.get(k - 1) : null;
      Token next = k + 1 < tokens.size() ? tokens.get(k + 1) : null;
      boolean unary =
          prev == null
              || prev.open()
              || (prev.word() && BEFORE_UNARY.contains(prev.text()))
              || (!prev.word() && !prev.close() && !prev.literal());
      if (!unary || next == null || next.text().equals("in")) {
        continue;
      }
      int depth = 0;
      int end = expr.length();
      for (int j = k + 1; j < tokens.size(); j++) {
        Token u = tokens.get(j);
        if (u.open()) {
          depth++;
        } else if (u.close()) {
          if (--depth < 0) {
            end = u.start();
            break;
          }
        } else if (depth == 0
            && ((u.word() && ENDS_NOT.contains(u.text()))
                || u.text().equals(",")
                || u.text().equals(":")
                || u.text().equals("="))) {
          end = u.start();
          break;
        }
      }
      while (end > next.start() && Character.isWhitespace(expr.charAt(end - 1))) {
        end--;
      }
      insertOpen[next.start()]++;
      insertClose[end]++;
      changed = true;
    }
    if (!changed) {
      return expr;
    }
    StringBuilder out = new StringBuilder(expr.length() + 8);
    for (int i = 0; i <= expr.length(); i++) {
      out.append(")".repeat(insertClose[i]));
      out.append("(".repeat(insertOpen[i]));
      if (i < expr.length()) {
        out.append(expr.charAt(i));
      }
    }
    return out.toString();
  }

  private record Token(String text, int start, boolean word, boolean literal) {
    boolean open() {
      return !literal && (text.equals("(") || text.equals("[") || text.equals("{"));
    }

    boolean close() {
      return !literal && (text.equals(")") || text.equals("]") || text.equals("}"));
    }
  }

  private static List<Token> tokens(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '\'' || c == '"') {
        int end = stringEnd(s, i);
        out.add(new Token(s.substring(i, end + 1), i, false, true));
        i = end + 1;
      } else if (Character.isLetterOrDigit(c) || c == '_') {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
          j++;
        }
        boolean number = Character.isDigit(c);
        out.add(new Token(s.substring(i, j), i, !number, number));
        i = j;
      } else {
        int len = i + 1 < s.length() && "=!<>".indexOf(c) >= 0 && s.charAt(i + 1) == '=' ? 2 : 1;
        out.add(new Token(s.substring(i, i + len), i, false, false));
        i += len;
      }
    }
    return out;
  }
}

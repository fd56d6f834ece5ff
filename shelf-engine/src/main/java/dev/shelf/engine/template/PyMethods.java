package dev.shelf.engine.template;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import org.jspecify.annotations.Nullable;

/**
 * Python's {@code str} and {@code dict} methods for Jinjava expressions. Jinjava resolves {@code
 * x.name(...)} on the Java object, so {@code 'a.b'.split('.')} would call Java's regex split and
 * {@code .startswith} would not exist at all; this resolver, placed first in the chain, answers the
 * Python names with Python semantics and leaves every other call to Jinjava's own resolvers.
 */
final class PyMethods extends ELResolver {

  @Override
  public @Nullable Object invoke(
      ELContext context,
      @Nullable Object base,
      Object method,
      Class<?> @Nullable [] paramTypes,
      @Nullable Object @Nullable [] params) {
    @Nullable Object[] args = params == null ? new Object[0] : params;
    String name = String.valueOf(method);
    Object result;
    if (base instanceof String s) {
      result = stringMethod(s, name, args);
    } else if (base instanceof Map<?, ?> map) {
      result = mapMethod(map, name, args);
    } else {
      return null;
    }
    if (result == NOT_HANDLED) {
      return null;
    }
    context.setPropertyResolved(true);
    return result;
  }

  private static final Object NOT_HANDLED = new Object();

  private static @Nullable Object mapMethod(Map<?, ?> map, String name, @Nullable Object[] args) {
    return switch (name) {
      case "get" ->
          args.length == 2 && !map.containsKey(args[0])
              ? args[1]
              : args.length >= 1 ? map.get(args[0]) : NOT_HANDLED;
      case "items" -> args.length == 0 ? items(map) : NOT_HANDLED;
      case "keys" -> args.length == 0 ? new ArrayList<>(map.keySet()) : NOT_HANDLED;
      case "values" -> args.length == 0 ? new ArrayList<>(map.values()) : NOT_HANDLED;
      default -> NOT_HANDLED;
    };
  }

  /** {@code dict.items()} as a list of two-element lists, which Jinjava's for loop unpacks. */
  static List<List<@Nullable Object>> items(Map<?, ?> map) {
    List<List<@Nullable Object>> out = new ArrayList<>(map.size());
    for (Map.Entry<?, ?> e : map.entrySet()) {
      List<@Nullable Object> pair = new ArrayList<>(2);
      pair.add(e.getKey());
      pair.add(e.getValue());
      out.add(pair);
    }
    return out;
  }

  private static @Nullable Object stringMethod(String s, String name, @Nullable Object[] args) {
    Object a0 = args.length > 0 ? args[0] : null;
    return switch (name) {
      case "startswith" -> a0 == null ? NOT_HANDLED : affix(s, a0, true);
      case "endswith" -> a0 == null ? NOT_HANDLED : affix(s, a0, false);
      case "strip" -> strip(s, chars(a0), true, true);
      case "lstrip" -> strip(s, chars(a0), true, false);
      case "rstrip" -> strip(s, chars(a0), false, true);
      case "split" -> split(s, chars(a0), args.length > 1 ? toInt(args[1]) : -1);
      case "upper" -> s.toUpperCase(Locale.ROOT);
      case "lower" -> s.toLowerCase(Locale.ROOT);
      case "title" -> title(s);
      case "capitalize" ->
          s.isEmpty()
              ? s
              : s.substring(0, 1).toUpperCase(Locale.ROOT)
                  + s.substring(1).toLowerCase(Locale.ROOT);
      case "replace" ->
          args.length < 2
              ? NOT_HANDLED
              : replace(
                  s,
                  String.valueOf(a0),
                  String.valueOf(args[1]),
                  args.length > 2 ? toInt(args[2]) : -1);
      case "find" -> a0 == null ? NOT_HANDLED : s.indexOf(String.valueOf(a0));
      case "count" -> a0 == null ? NOT_HANDLED : count(s, String.valueOf(a0));
      case "join" -> a0 instanceof Collection<?> c ? join(s, c) : NOT_HANDLED;
      case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      case "isspace" -> !s.isEmpty() && s.chars().allMatch(PyMethods::isPySpace);
      default -> NOT_HANDLED;
    };
  }

  private static @Nullable String chars(@Nullable Object arg) {
    return arg == null ? null : String.valueOf(arg);
  }

  private static int toInt(@Nullable Object o) {
    return o instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(o));
  }

  private static boolean affix(String s, Object arg, boolean prefix) {
    if (arg instanceof Collection<?> options) {
      for (Object o : options) {
        if (affix(s, o, prefix)) {
          return true;
        }
      }
      return false;
    }
    String a = String.valueOf(arg);
    return prefix ? s.startsWith(a) : s.endsWith(a);
  }

  /** Python's {@code str.isspace} for one character. */
  static boolean isPySpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || (c >= 0x1c && c <= 0x1f);
  }

  static String strip(String s, @Nullable String chars, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && stripped(s.charAt(start), chars)) {
      start++;
    }
    while (right && end > start && stripped(s.charAt(end - 1), chars)) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean stripped(char c, @Nullable String chars) {
    return chars == null ? isPySpace(c) : chars.indexOf(c) >= 0;
  }

  /** Python's {@code str.split}: literal separator, or runs of whitespace when none is given. */
  static List<String> split(String s, @Nullable String sep, int maxSplit) {
    List<String> out = new ArrayList<>();
    if (sep == null) {
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && isPySpace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          return out;
        }
        if (maxSplit >= 0 && out.size() == maxSplit) {
          out.add(strip(s.substring(i), null, false, true));
          return out;
        }
        int j = i;
        while (j < n && !isPySpace(s.charAt(j))) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
    }
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    int from = 0;
    int at;
    while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
      out.add(s.substring(from, at));
      from = at + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  private static String title(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
      previousCased = Character.isLetter(c);
    }
    return out.toString();
  }

  private static String replace(String s, String old, String replacement, int count) {
    if (count < 0) {
      return s.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    int at;
    for (int done = 0; done < count && (at = s.indexOf(old, from)) >= 0; done++) {
      out.append(s, from, at).append(replacement);
      from = at + Math.max(old.length(), 1);
      if (old.isEmpty() && at < s.length()) {
        out.append(s.charAt(at));
      }
    }
    return out.append(s.substring(Math.min(from, s.length()))).toString();
  }

  private static int count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1;
    }
    int n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static String join(String sep, Collection<?> items) {
    StringBuilder out = new StringBuilder();
    boolean first = true;
    for (Object o : items) {
      if (!first) {
        out.append(sep);
      }
      first = false;
      out.append(o);
    }
    return out.toString();
  }

  // Property access is left to Jinjava's resolvers.

  @Override
  public @Nullable Object getValue(ELContext context, @Nullable Object base, Object property) {
    return null;
  }

  @Override
  public @Nullable Class<?> getType(ELContext context, @Nullable Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(
      ELContext context, @Nullable Object base, Object property, @Nullable Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, @Nullable Object base, Object property) {
    return true;
  }

  @Override
  public @Nullable Iterator<FeatureDescriptor> getFeatureDescriptors(
      ELContext context, @Nullable Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, @Nullable Object base) {
    return Object.class;
  }
}

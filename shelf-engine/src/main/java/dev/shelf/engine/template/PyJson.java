package dev.shelf.engine.template;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * JSON exactly as Python's {@code json.dumps} writes it, which is what transformers' {@code tojson}
 * filter calls ({@code ensure_ascii=False} by default): separators {@code ", "} and {@code ": "} on
 * one line, {@code ","} and {@code ": "} with an indent, keys in insertion order unless sorted.
 */
final class PyJson {
  private PyJson() {}

  /**
   * Serializes {@code value}.
   *
   * @param indent spaces per level, or null for a single line
   * @param ensureAscii escape every character outside printable ASCII as {@code \\uXXXX}
   * @param sortKeys sort object keys by their string form
   */
  static String dumps(
      @Nullable Object value, @Nullable Integer indent, boolean ensureAscii, boolean sortKeys) {
    StringBuilder out = new StringBuilder();
    write(out, value, indent, ensureAscii, sortKeys, 0);
    return out.toString();
  }

  private static void write(
      StringBuilder out,
      @Nullable Object value,
      @Nullable Integer indent,
      boolean ascii,
      boolean sort,
      int depth) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof CharSequence s) {
      string(out, s.toString(), ascii);
    } else if (value instanceof Boolean b) {
      out.append(b ? "true" : "false");
    } else if (value instanceof Number n) {
      out.append(number(n));
    } else if (value instanceof Map<?, ?> map) {
      List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
      if (sort) {
        entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
      }
      if (entries.isEmpty()) {
        out.append("{}");
        return;
      }
      out.append('{');
      for (int i = 0; i < entries.size(); i++) {
        separator(out, i, indent, depth + 1);
        Object key = entries.get(i).getKey();
        string(out, key instanceof CharSequence ? key.toString() : keyString(key), ascii);
        out.append(": ");
        write(out, entries.get(i).getValue(), indent, ascii, sort, depth + 1);
      }
      close(out, indent, depth, '}');
    } else if (value instanceof Collection<?> || value.getClass().isArray()) {
      List<?> items = asList(value);
      if (items.isEmpty()) {
        out.append("[]");
        return;
      }
      out.append('[');
      for (int i = 0; i < items.size(); i++) {
        separator(out, i, indent, depth + 1);
        write(out, items.get(i), indent, ascii, sort, depth + 1);
      }
      close(out, indent, depth, ']');
    } else {
      string(out, value.toString(), ascii);
    }
  }

  private static List<?> asList(Object value) {
    if (value instanceof Collection<?> c) {
      return new ArrayList<>(c);
    }
    int n = Array.getLength(value);
    List<@Nullable Object> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(Array.get(value, i));
    }
    return list;
  }

  private static void separator(StringBuilder out, int index, @Nullable Integer indent, int depth) {
    if (index > 0) {
      out.append(indent == null ? ", " : ",");
    }
    if (indent != null) {
      out.append('\n').append(" ".repeat(indent * depth));
    }
  }

  private static void close(StringBuilder out, @Nullable Integer indent, int depth, char bracket) {
    if (indent != null) {
      out.append('\n').append(" ".repeat(indent * depth));
    }
    out.append(bracket);
  }

  /** Python's {@code str} of a non-string dict key, as {@code json.dumps} converts it. */
  private static String keyString(@Nullable Object key) {
    if (key == null) {
      return "null";
    }
    if (key instanceof Boolean b) {
      return b ? "true" : "false";
    }
    return key instanceof Number n ? number(n) : key.toString();
  }

  /**
   * A number as Python prints it: integers as is, floats with {@code repr} ({@code 1.0}, {@code
   * 1e-05}).
   */
  static String number(Number n) {
    if (n instanceof Integer
        || n instanceof Long
        || n instanceof Short
        || n instanceof Byte
        || n instanceof BigInteger) {
      return n.toString();
    }
    double d = n instanceof BigDecimal bd ? bd.doubleValue() : n.doubleValue();
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e16) {
      return (long) d + ".0";
    }
    // Python's repr: shortest round-trip digits, scientific outside [1e-4, 1e16).
    BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    double abs = Math.abs(d);
    if (abs >= 1e-4 && abs < 1e16) {
      return exact.toPlainString();
    }
    String digits = exact.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - exact.scale();
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (d < 0 ? "-" : "")
        + mantissa
        + "e"
        + (exponent < 0 ? "-" : "+")
        + String.format("%02d", Math.abs(exponent));
  }

  private static void string(StringBuilder out, String s, boolean ascii) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (ascii && c > 0x7e)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}

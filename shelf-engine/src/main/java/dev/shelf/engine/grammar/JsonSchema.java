package dev.shelf.engine.grammar;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A JSON Schema compiled to what {@link JsonGrammar} enforces while a model writes: the types a
 * value may have, an object's properties (each with its schema), which are required and whether
 * others may appear, an array's items, and a fixed set of values ({@code enum}, {@code const}).
 *
 * <p>The schema is given as parsed JSON in plain Java ({@code Map<String, ?>}, {@code List<?>},
 * strings, numbers, booleans, null), so the engine needs no JSON library. Understood: {@code type}
 * (a name or a list), {@code properties}, {@code required}, {@code additionalProperties} (a boolean
 * or a schema), {@code items}, {@code enum}, {@code const}, {@code anyOf}/{@code oneOf} whose
 * branches have different types (the common {@code [{"type": X}, {"type": "null"}]}), and {@code
 * $ref} into {@code $defs} or {@code definitions} (recursion included), and the counting bounds
 * {@code minLength}/{@code maxLength} (characters, as JSON Schema counts them: code points), {@code
 * minItems}/{@code maxItems} and {@code minProperties}/{@code maxProperties}, and the range of an
 * integer or a number ({@code minimum}, {@code maximum}, {@code exclusiveMinimum}, {@code
 * exclusiveMaximum}) and its {@code multipleOf} (a bounded or stepped number is written without an
 * exponent), and a string's {@code pattern} or known {@code format} ({@link StringPattern}). Other
 * keywords that bound values (other formats, ...) are not enforced; the model's text is still valid
 * JSON of the right shape. A schema this cannot enforce faithfully ({@code anyOf} branches of one
 * type, {@code allOf}, {@code not}, a {@code $ref} elsewhere, a pattern beyond the regular) is
 * refused with {@link IllegalArgumentException} naming the keyword and where it is.
 */
public final class JsonSchema {
  static final int STRING = 1;
  static final int NUMBER = 2;
  static final int INTEGER = 4;
  static final int BOOLEAN = 8;
  static final int NULL = 16;
  static final int OBJECT = 32;
  static final int ARRAY = 64;
  static final int ALL = 127;

  private static final Map<String, Integer> TYPES =
      Map.of(
          "string", STRING,
          "number", NUMBER | INTEGER,
          "integer", INTEGER,
          "boolean", BOOLEAN,
          "null", NULL,
          "object", OBJECT,
          "array", ARRAY);

  /** Any JSON value. */
  public static final JsonSchema ANY = new JsonSchema();

  /** Any JSON object ({@code response_format: json_object}). */
  public static final JsonSchema ANY_OBJECT = new JsonSchema();

  static {
    ANY.types = ALL;
    ANY_OBJECT.types = OBJECT;
  }

  int types = ALL;

  /** Declared properties, in order; empty for none. */
  Map<String, JsonSchema> properties = Map.of();

  List<String> required = List.of();

  /** Whether keys other than the declared ones may appear, and their values' schema. */
  boolean additional = true;

  /** The schema of undeclared keys' values; null for any value. */
  @Nullable JsonSchema additionalSchema;

  /** The schema of an array's items; null for any value. */
  @Nullable JsonSchema items;

  /** Of a union ({@code anyOf}): the branch that describes its objects, and its arrays. */
  @Nullable JsonSchema objectBranch;

  @Nullable JsonSchema arrayBranch;

  /** A string's least and most characters (code points); -1: no most. */
  int minLength;

  int maxLength = -1;

  /** What a string's characters must match ({@code pattern} or {@code format}); null for any. */
  @Nullable StringPattern pattern;

  /** An array's least and most items; -1: no most. */
  int minItems;

  int maxItems = -1;

  /** An object's least and most keys; -1: no most. */
  int minProperties;

  int maxProperties = -1;

  /**
   * A number's least and most value (inclusive): for an integer, integers within the long range;
   * else decimals of at most {@link JsonGrammar#MAX_DIGITS} digits after the point (what a model
   * may write). Null for none.
   */
  @Nullable BigDecimal least;

  @Nullable BigDecimal most;

  /**
   * What a number's value must be a whole multiple of ({@code multipleOf}, made a multiple of the
   * step between the values it may take: an integer's 1, a number's last decimal); null for none.
   */
  @Nullable BigDecimal multipleOf;

  /** Of a union: the branch that describes its strings, and its numbers. */
  @Nullable JsonSchema stringBranch;

  @Nullable JsonSchema numberBranch;

  /** The only values allowed, as JSON text; null when any value of the types is. */
  @Nullable List<byte[]> literals;

  private JsonSchema() {}

  JsonSchema items() {
    return items == null ? ANY : items;
  }

  /** The schema an object value of this schema follows (its union branch, or itself). */
  JsonSchema objects() {
    return objectBranch == null ? this : objectBranch.objects();
  }

  /** The schema a string value of this schema follows. */
  JsonSchema strings() {
    return stringBranch == null ? this : stringBranch.strings();
  }

  /** The schema a number value of this schema follows. */
  JsonSchema numbers() {
    return numberBranch == null ? this : numberBranch.numbers();
  }

  /** The schema an array value of this schema follows. */
  JsonSchema arrays() {
    return arrayBranch == null ? this : arrayBranch.arrays();
  }

  JsonSchema additionalSchema() {
    return additionalSchema == null ? ANY : additionalSchema;
  }

  /**
   * Compiles {@code schema}.
   *
   * @throws IllegalArgumentException for a schema this cannot enforce, naming the keyword and path
   */
  public static JsonSchema compile(Object schema) {
    return new Compiler(schema).node(schema, "#");
  }

  /** What a property key or string value must be written as between its quotes. */
  static byte[] quoted(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString().getBytes(StandardCharsets.UTF_8);
  }

  private static final class Compiler {
    private final Object root;
    private final Map<String, JsonSchema> refs = new HashMap<>();

    Compiler(Object root) {
      this.root = root;
    }

    JsonSchema node(@Nullable Object schema, String path) {
      if (schema instanceof Boolean b) {
        if (!b) {
          throw new IllegalArgumentException("schema 'false' at " + path + " allows nothing");
        }
        return ANY;
      }
      if (!(schema instanceof Map<?, ?> map)) {
        throw new IllegalArgumentException("the schema at " + path + " is not an object");
      }
      Object ref = map.get("$ref");
      if (ref != null) {
        return ref(ref, path);
      }
      JsonSchema n = new JsonSchema();
      fill(n, map, path);
      return n;
    }

    private JsonSchema ref(Object ref, String path) {
      String r = String.valueOf(ref);
      JsonSchema known = refs.get(r);
      if (known != null) {
        return known;
      }
      String[] parts = r.split("/");
      if (parts.length != 3
          || !parts[0].equals("#")
          || !(parts[1].equals("$defs") || parts[1].equals("definitions"))) {
        throw new IllegalArgumentException(
            "$ref '" + r + "' at " + path + ": only #/$defs/NAME and #/definitions/NAME are known");
      }
      Object defs = root instanceof Map<?, ?> m ? m.get(parts[1]) : null;
      Object target = defs instanceof Map<?, ?> d ? d.get(parts[2]) : null;
      if (!(target instanceof Map<?, ?> t)) {
        throw new IllegalArgumentException("$ref '" + r + "' at " + path + " names no definition");
      }
      JsonSchema n = new JsonSchema();
      refs.put(r, n); // before filling it: a definition may refer to itself
      fill(n, t, r);
      return n;
    }

    private void fill(JsonSchema n, Map<?, ?> map, String path) {
      for (String unsupported : List.of("allOf", "not", "if", "patternProperties")) {
        if (map.containsKey(unsupported)) {
          throw new IllegalArgumentException(
              "'" + unsupported + "' at " + path + " is not supported in constrained output");
        }
      }
      Object anyOf = map.containsKey("anyOf") ? map.get("anyOf") : map.get("oneOf");
      if (anyOf != null) {
        union(n, anyOf, path + "/" + (map.containsKey("anyOf") ? "anyOf" : "oneOf"));
        return;
      }
      n.types = types(map, path);
      Object values =
          map.containsKey("const")
              ? java.util.Collections.singletonList(map.get("const"))
              : map.get("enum");
      if (values != null) {
        if (!(values instanceof List<?> list) || list.isEmpty()) {
          throw new IllegalArgumentException("'enum' at " + path + " must be a non-empty list");
        }
        List<byte[]> literals = new ArrayList<>();
        for (Object v : list) {
          literals.add(literal(v, path));
        }
        n.literals = literals;
        n.types = ALL;
        return;
      }
      if ((n.types & OBJECT) != 0) {
        Object extra = map.get("additionalProperties");
        if (Boolean.FALSE.equals(extra)) {
          n.additional = false;
        } else if (extra instanceof Map<?, ?>) {
          n.additionalSchema = node(extra, path + "/additionalProperties");
        }
        Map<String, JsonSchema> out = new LinkedHashMap<>();
        Object props = map.get("properties");
        if (props instanceof Map<?, ?> p) {
          for (Map.Entry<?, ?> e : p.entrySet()) {
            String key = String.valueOf(e.getKey());
            out.put(key, node(e.getValue(), path + "/properties/" + key));
          }
        }
        Object req = map.get("required");
        if (req instanceof List<?> r) {
          List<String> names = new ArrayList<>();
          for (Object o : r) {
            String name = String.valueOf(o);
            if (!out.containsKey(name)) {
              if (!n.additional) {
                throw new IllegalArgumentException(
                    "'required' at " + path + " names '" + name + "', which is not a property");
              }
              // required but not declared: a key like any other, whose value is what extra keys'
              // values may be; it must be written before the object closes
              out.put(name, n.additionalSchema());
            }
            names.add(name);
          }
          n.required = names;
        }
        n.properties = out;
        n.minProperties = bound(map, "minProperties", path);
        n.maxProperties = most(map, "maxProperties", n.minProperties, path);
        if (n.maxProperties >= 0 && n.required.size() > n.maxProperties) {
          throw new IllegalArgumentException(
              "'required' at " + path + " names more keys than 'maxProperties' allows");
        }
        if (!n.additional && n.minProperties > out.size()) {
          throw new IllegalArgumentException(
              "'minProperties' at " + path + " asks for more keys than the object may have");
        }
      }
      if ((n.types & ARRAY) != 0) {
        if (map.containsKey("items")) {
          n.items = node(map.get("items"), path + "/items");
        }
        n.minItems = bound(map, "minItems", path);
        n.maxItems = most(map, "maxItems", n.minItems, path);
      }
      if ((n.types & STRING) != 0) {
        n.minLength = bound(map, "minLength", path);
        n.maxLength = most(map, "maxLength", n.minLength, path);
        pattern(n, map, path);
      }
      if ((n.types & (NUMBER | INTEGER)) == INTEGER) {
        range(n, map, path);
        multiple(n, map, path, 0);
      } else if ((n.types & NUMBER) != 0) {
        decimalRange(n, map, path);
        multiple(n, map, path, JsonGrammar.MAX_DIGITS);
      }
    }

    /**
     * {@code multipleOf}: a number above 0, made the least multiple of it that has at most {@code
     * places} decimals (the values a model may write: 2.5 becomes 5 for an integer), which the
     * range must hold one of.
     */
    private static void multiple(JsonSchema n, Map<?, ?> map, String path, int places) {
      if (!map.containsKey("multipleOf")) {
        return;
      }
      BigDecimal m = number(map, "multipleOf", path).stripTrailingZeros();
      if (m.signum() <= 0) {
        throw new IllegalArgumentException(
            "'multipleOf' at " + path + " must be above 0 but was " + m.toPlainString());
      }
      // lcm(m, 10^-places) on the finer of the two scales
      int scale = Math.max(m.scale(), places);
      BigInteger a = m.movePointRight(scale).toBigIntegerExact();
      BigInteger b = BigInteger.TEN.pow(scale - places);
      BigDecimal unit = new BigDecimal(a.divide(a.gcd(b)).multiply(b), scale).stripTrailingZeros();
      // a missing side is the most a model may write (20 digits before the point)
      BigDecimal limit = BigDecimal.TEN.pow(JsonGrammar.MAX_DIGITS).subtract(step(places));
      BigDecimal lo = n.least == null ? limit.negate() : n.least;
      BigDecimal hi = n.most == null ? limit : n.most;
      if (lo.divide(unit, 0, RoundingMode.CEILING).multiply(unit).compareTo(hi) > 0) {
        throw new IllegalArgumentException(
            "the bounds at "
                + path
                + " leave no multiple of "
                + m.toPlainString()
                + " between them");
      }
      n.multipleOf = unit;
    }

    /**
     * A string's {@code pattern}, or its {@code format} when Shelf knows it ({@link
     * StringPattern#FORMATS}; others are annotations, as JSON Schema has them by default), compiled
     * with the string's length bounds.
     */
    private static void pattern(JsonSchema n, Map<?, ?> map, String path) {
      Object pattern = map.get("pattern");
      Object format = map.get("format");
      boolean known = format instanceof String f && StringPattern.FORMATS.containsKey(f);
      if (pattern != null && !(pattern instanceof String)) {
        throw new IllegalArgumentException(
            "'pattern' at " + path + " must be a string but was " + pattern);
      }
      if (pattern != null && known) {
        throw new IllegalArgumentException(
            "'pattern' and 'format' at " + path + ": only one of them can be enforced");
      }
      if (pattern instanceof String regex) {
        n.pattern = StringPattern.compile(regex, n.minLength, n.maxLength, path + "/pattern");
      } else if (known) {
        String regex = StringPattern.FORMATS.get((String) format);
        int cap = StringPattern.FORMAT_LENGTHS.getOrDefault((String) format, -1);
        int most = cap < 0 || (n.maxLength >= 0 && n.maxLength < cap) ? n.maxLength : cap;
        n.pattern =
            StringPattern.compile(
                java.util.Objects.requireNonNull(regex), n.minLength, most, path + "/format");
      }
    }

    /**
     * An integer's range from {@code minimum}/{@code maximum} and the exclusive forms (a number, or
     * draft 4's boolean that makes the plain bound exclusive), as inclusive integer bounds.
     */
    private static void range(JsonSchema n, Map<?, ?> map, String path) {
      @Nullable BigDecimal[] b = bounds(map, path, 0);
      BigInteger lo = b[0] == null ? LONG_MIN : b[0].toBigIntegerExact().max(LONG_MIN);
      BigInteger hi = b[1] == null ? LONG_MAX : b[1].toBigIntegerExact().min(LONG_MAX);
      if (lo.compareTo(hi) > 0) {
        throw new IllegalArgumentException(
            "the bounds at " + path + " leave no integer between them (that a long holds)");
      }
      if (b[0] != null || b[1] != null) {
        n.least = new BigDecimal(lo);
        n.most = new BigDecimal(hi);
      }
    }

    /**
     * A number's range from the same keywords, as the least and most decimals of {@link
     * JsonGrammar#MAX_DIGITS} places that lie in it.
     */
    private static void decimalRange(JsonSchema n, Map<?, ?> map, String path) {
      @Nullable BigDecimal[] b = bounds(map, path, JsonGrammar.MAX_DIGITS);
      BigDecimal lo = b[0];
      BigDecimal hi = b[1];
      if (lo != null && hi != null && lo.compareTo(hi) > 0) {
        throw new IllegalArgumentException(
            "the bounds at "
                + path
                + " leave no number of at most "
                + JsonGrammar.MAX_DIGITS
                + " decimals between them");
      }
      BigDecimal limit =
          BigDecimal.TEN.pow(JsonGrammar.MAX_DIGITS).subtract(step(JsonGrammar.MAX_DIGITS));
      if ((lo != null && lo.compareTo(limit) > 0)
          || (hi != null && hi.negate().compareTo(limit) > 0)) {
        throw new IllegalArgumentException(
            "the bounds at "
                + path
                + " leave no number of at most "
                + JsonGrammar.MAX_DIGITS
                + " digits before the point");
      }
      n.least = lo;
      n.most = hi;
    }

    /**
     * The least and most values of {@code places} decimals that {@code minimum}, {@code maximum}
     * and the exclusive forms (a number, or draft 4's boolean that makes the plain bound exclusive)
     * allow: a bound between two such values, or an exclusive one on one, moves to the next inside.
     * Null for no bound on that side.
     */
    private static @Nullable BigDecimal[] bounds(Map<?, ?> map, String path, int places) {
      Object exMin = map.get("exclusiveMinimum");
      Object exMax = map.get("exclusiveMaximum");
      BigDecimal lo = null;
      BigDecimal hi = null;
      if (map.containsKey("minimum")) {
        lo = above(number(map, "minimum", path), Boolean.TRUE.equals(exMin), places);
      }
      if (exMin instanceof Number) {
        lo = max(lo, above(number(map, "exclusiveMinimum", path), true, places));
      }
      if (map.containsKey("maximum")) {
        hi = below(number(map, "maximum", path), Boolean.TRUE.equals(exMax), places);
      }
      if (exMax instanceof Number) {
        hi = min(hi, below(number(map, "exclusiveMaximum", path), true, places));
      }
      return new @Nullable BigDecimal[] {lo, hi};
    }

    /** The step between decimals of {@code places} places. */
    private static BigDecimal step(int places) {
      return BigDecimal.ONE.movePointLeft(places);
    }

    /** The least decimal of {@code places} places at or above {@code d} (above only: strictly). */
    private static BigDecimal above(BigDecimal d, boolean strictly, int places) {
      return strictly
          ? d.setScale(places, RoundingMode.FLOOR).add(step(places))
          : d.setScale(places, RoundingMode.CEILING);
    }

    /** The most decimal of {@code places} places at or below {@code d} (below only: strictly). */
    private static BigDecimal below(BigDecimal d, boolean strictly, int places) {
      return strictly
          ? d.setScale(places, RoundingMode.CEILING).subtract(step(places))
          : d.setScale(places, RoundingMode.FLOOR);
    }

    private static BigDecimal max(@Nullable BigDecimal a, BigDecimal b) {
      return a == null || b.compareTo(a) > 0 ? b : a;
    }

    private static BigDecimal min(@Nullable BigDecimal a, BigDecimal b) {
      return a == null || b.compareTo(a) < 0 ? b : a;
    }

    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    /** A bound exactly as written (a long stays a long, a double its decimal value). */
    private static BigDecimal number(Map<?, ?> map, String keyword, String path) {
      Object v = map.get(keyword);
      if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
        return BigDecimal.valueOf(((Number) v).longValue());
      }
      if (v instanceof BigInteger b) {
        return new BigDecimal(b);
      }
      if (v instanceof BigDecimal b) {
        return b;
      }
      if (v instanceof Number d && Double.isFinite(d.doubleValue())) {
        return new BigDecimal(d.toString());
      }
      throw new IllegalArgumentException(
          "'" + keyword + "' at " + path + " must be a number but was " + v);
    }

    /** A non-negative integer keyword; 0 when absent. */
    private static int bound(Map<?, ?> map, String keyword, String path) {
      Object v = map.get(keyword);
      if (v == null) {
        return 0;
      }
      if (!(v instanceof Number n)
          || n.doubleValue() != Math.rint(n.doubleValue())
          || n.doubleValue() < 0) {
        throw new IllegalArgumentException(
            "'" + keyword + "' at " + path + " must be a non-negative integer but was " + v);
      }
      return (int) Math.min(Integer.MAX_VALUE - 1, n.longValue());
    }

    /** An upper bound keyword, at least {@code least}; -1 when absent. */
    private static int most(Map<?, ?> map, String keyword, int least, String path) {
      if (!map.containsKey(keyword)) {
        return -1;
      }
      int most = bound(map, keyword, path);
      if (most < least) {
        throw new IllegalArgumentException(
            "'" + keyword + "' at " + path + " is below its lower bound " + least);
      }
      return most;
    }

    /** {@code anyOf} whose branches start with different characters: one node of their union. */
    private void union(JsonSchema n, Object branches, String path) {
      if (!(branches instanceof List<?> list) || list.isEmpty()) {
        throw new IllegalArgumentException("'" + path + "' must be a non-empty list");
      }
      int types = 0;
      for (int i = 0; i < list.size(); i++) {
        JsonSchema b = node(list.get(i), path + "/" + i);
        if (b.literals != null) {
          throw new IllegalArgumentException(
              "'enum' inside " + path + " is not supported in constrained output");
        }
        int t = b.types;
        // a number and an integer branch begin alike, as do two objects or two arrays
        int family = t | ((t & (NUMBER | INTEGER)) != 0 ? NUMBER | INTEGER : 0);
        if ((family & types) != 0) {
          throw new IllegalArgumentException(
              path
                  + " has two branches that may be of the same type; constrained output needs"
                  + " branches of different types");
        }
        types |= t;
        // the branch itself, not a copy of its fields: a recursive $ref is still being filled
        if ((t & OBJECT) != 0) {
          n.objectBranch = b;
        }
        if ((t & ARRAY) != 0) {
          n.arrayBranch = b;
        }
        if ((t & STRING) != 0) {
          n.stringBranch = b;
        }
        if ((t & (NUMBER | INTEGER)) != 0) {
          n.numberBranch = b;
        }
      }
      n.types = types;
    }

    private static int types(Map<?, ?> map, String path) {
      Object t = map.get("type");
      if (t == null) {
        if (map.containsKey("properties")) {
          return OBJECT;
        }
        if (map.containsKey("items")) {
          return ARRAY;
        }
        return ALL;
      }
      List<?> names = t instanceof List<?> l ? l : List.of(t);
      int types = 0;
      for (Object name : names) {
        Integer bits = TYPES.get(String.valueOf(name));
        if (bits == null) {
          throw new IllegalArgumentException(
              "unknown type '" + name + "' at " + path + "; known: " + TYPES.keySet());
        }
        types |= bits;
      }
      return types;
    }

    private static byte[] literal(@Nullable Object v, String path) {
      if (v == null) {
        return "null".getBytes(StandardCharsets.US_ASCII);
      }
      if (v instanceof String s) {
        return quoted(s);
      }
      if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
        return String.valueOf(v).getBytes(StandardCharsets.US_ASCII);
      }
      if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
        return Long.toString(n.longValue()).getBytes(StandardCharsets.US_ASCII);
      }
      throw new IllegalArgumentException(
          "'enum' at "
              + path
              + " holds "
              + v
              + "; constrained output takes strings, integers, booleans and null");
    }
  }
}

package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

/**
 * Typed reads from a JSON object that fail with a 400 naming the parameter and the bad value, as
 * OpenAI does: {@code Invalid type for 'temperature': expected a number, but got a string}.
 */
public final class Fields {
  private Fields() {}

  public static ObjectNode requireObject(JsonNode node, String param) {
    if (node instanceof ObjectNode o) {
      return o;
    }
    throw typeError(param, "an object", node);
  }

  public static @Nullable JsonNode present(ObjectNode o, String key) {
    JsonNode v = o.get(key);
    return v == null || v.isNull() ? null : v;
  }

  public static String requireString(ObjectNode o, String key, String param) {
    JsonNode v = present(o, key);
    if (v == null) {
      throw ApiException.invalid(param, "Missing required parameter: '" + param + "'.");
    }
    if (!v.isTextual()) {
      throw typeError(param, "a string", v);
    }
    return v.textValue();
  }

  public static @Nullable String string(ObjectNode o, String key, String param) {
    JsonNode v = present(o, key);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw typeError(param, "a string", v);
    }
    return v.textValue();
  }

  public static @Nullable Boolean bool(ObjectNode o, String key, String param) {
    JsonNode v = present(o, key);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw typeError(param, "a boolean", v);
    }
    return v.booleanValue();
  }

  public static @Nullable Double number(
      ObjectNode o, String key, String param, double min, double max) {
    JsonNode v = present(o, key);
    if (v == null) {
      return null;
    }
    if (!v.isNumber()) {
      throw typeError(param, "a number", v);
    }
    double d = v.doubleValue();
    if (!(d >= min && d <= max)) {
      throw ApiException.invalid(
          param,
          "Invalid '"
              + param
              + "': "
              + v
              + " is out of range; expected a value between "
              + fmt(min)
              + " and "
              + fmt(max)
              + ".");
    }
    return d;
  }

  public static @Nullable Integer integer(
      ObjectNode o, String key, String param, long min, long max) {
    Long l = longValue(o, key, param, min, max);
    return l == null ? null : l.intValue();
  }

  public static @Nullable Long longValue(
      ObjectNode o, String key, String param, long min, long max) {
    JsonNode v = present(o, key);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() && !(v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()))) {
      throw typeError(param, "an integer", v);
    }
    if (!v.canConvertToLong()) {
      throw ApiException.invalid(param, "Invalid '" + param + "': " + v + " is out of range.");
    }
    long l = v.longValue();
    if (l < min || l > max) {
      throw ApiException.invalid(
          param,
          "Invalid '"
              + param
              + "': "
              + l
              + " is out of range; expected a value between "
              + min
              + " and "
              + max
              + ".");
    }
    return l;
  }

  /** The fields of {@code o} outside {@code known}: what Shelf passes through untouched. */
  public static ObjectNode extras(ObjectNode o, java.util.Set<String> known) {
    ObjectNode extra = Json.object();
    for (var e : o.properties()) {
      if (!known.contains(e.getKey())) {
        extra.set(e.getKey(), e.getValue());
      }
    }
    return extra;
  }

  public static ApiException typeError(String param, String expected, JsonNode got) {
    return ApiException.invalid(
        param,
        "Invalid type for '" + param + "': expected " + expected + ", but got " + kind(got) + ".");
  }

  static String kind(JsonNode v) {
    return switch (v.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> v.isIntegralNumber() ? "an integer" : "a decimal";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}

package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Test helpers: JSON written with single quotes for readability, and numeric-tolerant equality. */
final class TestJson {
  private TestJson() {}

  /** Parses JSON written with {@code '} in place of {@code "} (no test input needs a real '). */
  static JsonNode json(String singleQuoted) {
    return Json.parse(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  /** Compares numbers by value (an IntNode 42 equals a LongNode 42), everything else exactly. */
  static final Comparator<JsonNode> NUMERIC =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
      };

  static List<String> names(JsonNode node) {
    var out = new ArrayList<String>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }

  static boolean sameJson(JsonNode a, JsonNode b) {
    return a.equals(NUMERIC, b);
  }
}

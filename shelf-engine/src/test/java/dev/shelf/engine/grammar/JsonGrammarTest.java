package dev.shelf.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.testing.SharedFixtures;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON grammar byte by byte: what it accepts, where it refuses, when it is complete. */
class JsonGrammarTest {
  static JsonSchema schema(String json) {
    return JsonSchema.compile(SharedFixtures.parseJson(json));
  }

  /** How many bytes of {@code text} the grammar takes before refusing one (all: its length). */
  static int accepted(JsonSchema schema, String suffix, String text) {
    JsonGrammar g = new JsonGrammar(schema, suffix);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (!g.accept(bytes[i] & 0xFF)) {
        return i;
      }
    }
    return bytes.length;
  }

  static boolean whole(JsonSchema schema, String suffix, String text) {
    JsonGrammar g = new JsonGrammar(schema, suffix);
    return g.accept(text.getBytes(StandardCharsets.UTF_8)) && g.complete();
  }

  static void valid(JsonSchema s, String... texts) {
    for (String t : texts) {
      assertThat(whole(s, "", t)).as(t).isTrue();
    }
  }

  /** {@code text} is refused at the byte marked by {@code ^} in {@code marked}. */
  static void refusedAt(JsonSchema s, String marked) {
    int at = marked.indexOf('^');
    String text = marked.substring(0, at) + marked.substring(at + 1);
    assertThat(accepted(s, "", text)).as(text).isEqualTo(at);
  }

  @Test
  void anyJsonValue() {
    valid(
        JsonSchema.ANY,
        "{}",
        "[]",
        "{\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\\"y\\u00e9\\n\"], \"b\": {}}",
        "\"caf\u00e9 \u4e2d\u6587\"",
        "-0.5",
        "12",
        "null");
    refusedAt(JsonSchema.ANY, "{\"a\": ^}");
    refusedAt(JsonSchema.ANY, "[1, 2,^]");
    refusedAt(JsonSchema.ANY, "{\"a\" ^1}");
    refusedAt(JsonSchema.ANY, "0^1");
    refusedAt(JsonSchema.ANY, "-^.5");
    refusedAt(JsonSchema.ANY, "\"\\^x\"");
    refusedAt(JsonSchema.ANY, "\"\\u12^g4\"");
    refusedAt(JsonSchema.ANY, "tru^x");
    refusedAt(JsonSchema.ANY, "{}^ ");
    refusedAt(JsonSchema.ANY, "\"a^\tb\"");
    assertThat(whole(JsonSchema.ANY, "", "{\"a\": 1")).isFalse();
    assertThat(whole(JsonSchema.ANY, "", "1.")).isFalse();
  }

  @Test
  void jsonObjectModeTakesOnlyAnObject() {
    valid(JsonSchema.ANY_OBJECT, "{\"x\": [1]}");
    refusedAt(JsonSchema.ANY_OBJECT, "^[1]");
    refusedAt(JsonSchema.ANY_OBJECT, "^\"x\"");
  }

  @Test
  void blanksAreLimited() {
    String many = " ".repeat(JsonGrammar.MAX_BLANKS);
    valid(JsonSchema.ANY, "[" + many + "1" + many + "]");
    refusedAt(JsonSchema.ANY, "[" + many + "^ 1]");
    refusedAt(JsonSchema.ANY, "^ {}"); // the text begins with the value
    valid(JsonSchema.ANY, "\"" + " ".repeat(100) + "\""); // inside a string, spaces are text
  }

  static final JsonSchema PERSON =
      schema(
          """
          {"type": "object",
           "properties": {
             "name": {"type": "string"},
             "age": {"type": "integer"},
             "role": {"enum": ["admin", "user"]},
             "tags": {"type": "array", "items": {"type": "string"}},
             "boss": {"anyOf": [{"$ref": "#/$defs/person"}, {"type": "null"}]}
           },
           "required": ["name", "age"],
           "additionalProperties": false,
           "$defs": {"person": {"type": "object", "properties": {"name": {"type": "string"}},
                                "required": ["name"], "additionalProperties": false}}}
          """);

  @Test
  void anObjectSchemaHoldsItsKeysTypesAndRequiredOnes() {
    valid(
        PERSON,
        "{\"name\": \"Ada\", \"age\": 36}",
        "{\"age\": 36, \"role\": \"admin\", \"name\": \"Ada\", \"tags\": [\"x\", \"y\"]}",
        "{\"name\": \"Ada\", \"age\": 36, \"boss\": null}",
        "{\"name\": \"Ada\", \"age\": 36, \"boss\": {\"name\": \"Bob\"}}");
    refusedAt(PERSON, "{\"name\": \"Ada\"^}"); // age is required
    refusedAt(PERSON, "{\"nam^x\": 1}"); // no such key
    refusedAt(PERSON, "{\"name\": ^36}"); // a string
    refusedAt(PERSON, "{\"name\": \"A\", \"age\": 36^.5}"); // an integer
    refusedAt(PERSON, "{\"name\": \"A\", \"age\": 1, \"role\": \"^root\"}");
    refusedAt(PERSON, "{\"name\": \"A\", \"age\": 1, \"tags\": [^1]}");
    refusedAt(PERSON, "{\"name\": \"A\", \"^name\""); // not twice
    refusedAt(PERSON, "{\"name\": \"A\", \"age\": 1, \"boss\": {\"name\": \"B\"^, \"x\": 1}}");
    refusedAt(PERSON, "^[]");
  }

  @Test
  void additionalPropertiesTakeTheirSchema() {
    JsonSchema s =
        schema(
            "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"boolean\"}},"
                + " \"additionalProperties\": {\"type\": \"number\"}}");
    valid(s, "{\"a\": true, \"zz\": 1.5}", "{}");
    refusedAt(s, "{\"zz\": ^true}");
    refusedAt(s, "{\"a\": ^1}");
  }

  @Test
  void enumsOfNumbersEndWhenNothingLongerCanFollow() {
    // built in Java: the fixtures' JSON reader reads null as a string
    JsonSchema s =
        JsonSchema.compile(
            java.util.Map.of("enum", java.util.Arrays.asList(1, 10, "one", true, null)));
    valid(s, "1", "10", "\"one\"", "true", "null");
    refusedAt(s, "1^2");
    refusedAt(s, "^false");
    JsonSchema inArray = schema("{\"type\": \"array\", \"items\": {\"enum\": [1, 10]}}");
    valid(inArray, "[1, 10, 1]", "[10]");
  }

  @Test
  void recursiveDefinitions() {
    JsonSchema tree =
        schema(
            "{\"$ref\": \"#/$defs/node\", \"$defs\": {\"node\": {\"type\": \"object\","
                + " \"properties\": {\"kids\": {\"type\": \"array\", \"items\": {\"$ref\":"
                + " \"#/$defs/node\"}}}, \"additionalProperties\": false}}}");
    valid(tree, "{\"kids\": [{\"kids\": [{}]}, {}]}");
    refusedAt(tree, "{\"kids\": [{\"kids\": [^1]}]}");
  }

  @Test
  void requiredKeysOutsideThePropertiesMustBeWritten() {
    JsonSchema s = schema("{\"type\": \"object\", \"required\": [\"id\"]}");
    valid(s, "{\"id\": 1}", "{\"x\": true, \"id\": \"a\"}");
    refusedAt(s, "{\"x\": 1^}");
  }

  @Test
  void aDeclaredKeyComesOnceEvenWhenOthersAreAllowed() {
    JsonSchema s = schema("{\"properties\": {\"a\": {\"type\": \"integer\"}}}");
    valid(s, "{\"a\": 1, \"b\": 2, \"ab\": 3}");
    refusedAt(s, "{\"a\": 1, \"a^\": 2}");
  }

  @Test
  void aRecursiveReferenceInsideAnyOfKeepsItsShape() {
    // Pydantic's Optional self-reference
    JsonSchema list =
        schema(
            """
            {"$defs": {"Node": {"type": "object", "properties": {"v": {"type": "integer"},
              "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}},
              "required": ["v"], "additionalProperties": false}},
             "$ref": "#/$defs/Node"}
            """);
    valid(list, "{\"v\": 1, \"next\": {\"v\": 2, \"next\": null}}");
    refusedAt(list, "{\"v\": 1, \"next\": {\"^w\": 2}}");
    refusedAt(list, "{\"v\": 1, \"next\": {^}}");
  }

  @Test
  void constNullIsAValue() {
    JsonSchema s =
        JsonSchema.compile(
            java.util.Map.of(
                "type", "object",
                "properties",
                    java.util.Map.of("x", java.util.Collections.singletonMap("const", null)),
                "required", List.of("x")));
    valid(s, "{\"x\": null}");
    refusedAt(s, "{\"x\": ^1}");
  }

  @Test
  void aTopLevelNumberIsCompleteButNotDone() {
    JsonGrammar g = new JsonGrammar(JsonSchema.ANY, "");
    g.accept("12".getBytes(StandardCharsets.UTF_8));
    assertThat(g.complete()).isTrue();
    assertThat(g.done()).isFalse();
    JsonGrammar o = new JsonGrammar(JsonSchema.ANY, "");
    o.accept("{}".getBytes(StandardCharsets.UTF_8));
    assertThat(o.done()).isTrue();
  }

  @Test
  void aSuffixClosesTheValue() {
    String suffix = "}\n</tool_call>";
    assertThat(whole(JsonSchema.ANY_OBJECT, suffix, "{\"city\": \"Paris\"} }\n</tool_call>"))
        .isTrue();
    assertThat(whole(JsonSchema.ANY_OBJECT, suffix, "{\"city\": \"Paris\"}}\n</tool")).isFalse();
    assertThat(accepted(JsonSchema.ANY_OBJECT, suffix, "{}}\n</tool_call> ")).isEqualTo(16);
    assertThat(accepted(JsonSchema.ANY_OBJECT, suffix, "{}]")).isEqualTo(2);
  }

  @Test
  void aCopyGoesItsOwnWay() {
    JsonGrammar g = new JsonGrammar(PERSON, "");
    assertThat(g.accept("{\"name\": \"A\", ".getBytes(StandardCharsets.UTF_8))).isTrue();
    JsonGrammar c = g.copy();
    assertThat(c.accept("\"age\": 3}".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(c.complete()).isTrue();
    assertThat(g.complete()).isFalse();
    assertThat(g.accept("\"name".getBytes(StandardCharsets.UTF_8))).as("name was used").isFalse();
  }

  @Test
  void stringLengthsCountCharacters() {
    JsonSchema s = schema("{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}");
    valid(
        s,
        "\"ab\"",
        "\"abc\"",
        "\"\u00e9\u4e2dx\"", // three characters of two, three and one bytes
        "\"\\u00e9\\n\"", // two escapes, two characters
        "\"\\ud83d\\ude00a\"", // a surrogate pair is one character
        "\"a\\ud83d\\ude00b\"");
    refusedAt(s, "\"a^\"");
    refusedAt(s, "\"abc^d\"");
    refusedAt(s, "\"ab\\n^x\"");
    refusedAt(s, "\"abc^\\n\"");
    // the fourth character is refused at its first byte: after a two-byte one, after an escape
    assertThat(accepted(s, "", "\"ab\u00e9\u00e9\"")).isEqualTo(5);
    assertThat(accepted(s, "", "\"ab\\u00e9x\"")).isEqualTo(9);
    // full after the first half of a surrogate pair: only its second half may follow
    JsonSchema one = schema("{\"type\": \"string\", \"maxLength\": 1}");
    valid(one, "\"\\ud83d\\ude00\"", "\"\\ud83d\"");
    refusedAt(one, "\"\\ud83d\\u^004\"");
    refusedAt(one, "\"\\ud83d\\ud^83d\"");
    refusedAt(one, "\"\\ud83d\\^n\"");
    // bounds hold in a union's string branch too, and free-string room says what is left
    JsonSchema union =
        schema("{\"anyOf\": [{\"type\": \"string\", \"maxLength\": 4}, {\"type\": \"null\"}]}");
    refusedAt(union, "\"abcd^e\"");
    JsonGrammar g = new JsonGrammar(union, "");
    g.accept("\"ab".getBytes(StandardCharsets.UTF_8));
    assertThat(g.freeStringRoom()).isEqualTo(2);
    JsonGrammar free = new JsonGrammar(JsonSchema.ANY, "");
    free.accept("\"ab".getBytes(StandardCharsets.UTF_8));
    assertThat(free.freeStringRoom()).isEqualTo(Integer.MAX_VALUE);
    assertThat(new JsonGrammar(JsonSchema.ANY, "").freeStringRoom()).isEqualTo(-1);
  }

  @Test
  void arraysAndObjectsHoldTheirCounts() {
    JsonSchema list = schema("{\"type\": \"array\", \"minItems\": 1, \"maxItems\": 2}");
    valid(list, "[1]", "[1, \"x\"]");
    refusedAt(list, "[^]");
    refusedAt(list, "[1, 2^, 3]");
    valid(schema("{\"type\": \"array\", \"maxItems\": 0}"), "[]", "[ ]");
    refusedAt(schema("{\"type\": \"array\", \"maxItems\": 0}"), "[^1]");
    JsonSchema object =
        schema("{\"type\": \"object\", \"minProperties\": 1, \"maxProperties\": 2}");
    valid(object, "{\"a\": 1}", "{\"a\": 1, \"b\": {}}");
    refusedAt(object, "{^}");
    refusedAt(object, "{\"x\": 1, \"x^\": 2}"); // a key written twice is one key
    refusedAt(object, "{\"a\": 1, \"b\": 2^, \"c\": 3}");
    // when the keys left are just enough for the missing required ones, only those may come
    JsonSchema declared =
        schema(
            "{\"properties\": {\"x\": {}, \"y\": {}}, \"required\": [\"y\"],"
                + " \"maxProperties\": 1}");
    valid(declared, "{\"y\": 1}");
    refusedAt(declared, "{\"^x\": 1}");
    JsonSchema open =
        schema("{\"properties\": {\"id\": {}}, \"required\": [\"id\"], \"maxProperties\": 2}");
    valid(open, "{\"a\": 1, \"id\": 2}", "{\"id\": 1, \"a\": 2}");
    refusedAt(open, "{\"a\": 1, \"^b\": 2}");
  }

  @Test
  void integersStayInTheirRange() {
    JsonSchema days = schema("{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 31}");
    valid(days, "1", "9", "10", "31");
    refusedAt(days, "^0");
    refusedAt(days, "^-1");
    refusedAt(days, "3^2");
    refusedAt(days, "4^0");
    assertThat(whole(days, "", "3")).isTrue();
    JsonSchema cold =
        schema("{\"type\": \"integer\", \"exclusiveMinimum\": -274, \"exclusiveMaximum\": 0}");
    valid(cold, "-1", "-273", "-99");
    refusedAt(cold, "^0");
    refusedAt(cold, "^5");
    refusedAt(cold, "-27^4");
    refusedAt(cold, "-^0");
    // a prefix that can only grow out of range is refused at once: 12 cannot become 120-200
    JsonSchema big = schema("{\"type\": \"integer\", \"minimum\": 120, \"maximum\": 200}");
    valid(big, "120", "199", "200");
    refusedAt(big, "1^1");
    refusedAt(big, "2^1");
    refusedAt(big, "^3");
    assertThat(whole(big, "", "12")).isFalse(); // may go on to 120-129, is not yet in range
    // draft 4's boolean exclusive bounds, and the nullable union keeps the range
    valid(schema("{\"type\": \"integer\", \"minimum\": 0, \"exclusiveMinimum\": true}"), "1");
    refusedAt(schema("{\"type\": \"integer\", \"minimum\": 0, \"exclusiveMinimum\": true}"), "^0");
    JsonSchema nullable =
        schema("{\"anyOf\": [{\"type\": \"integer\", \"maximum\": 5}, {\"type\": \"null\"}]}");
    valid(nullable, "5", "null", "-1000");
    refusedAt(nullable, "^6");
    // bounds at the ends of the long range, and past it (beyond every long: refused)
    JsonSchema top = schema("{\"type\": \"integer\", \"minimum\": 9200000000000000000}");
    valid(top, "9223372036854775807", "9200000000000000000");
    refusedAt(top, "922337203685477580^8"); // past the long range
    JsonSchema bottom = schema("{\"type\": \"integer\", \"maximum\": -9200000000000000000}");
    valid(bottom, "-9223372036854775807", "-9200000000000000001");
    refusedAt(bottom, "-^1");
    // a long bound is taken exactly (this test's JSON reader makes doubles: the map is built here)
    JsonSchema exact =
        JsonSchema.compile(
            java.util.Map.of("type", "integer", "exclusiveMinimum", 9007199254740993L));
    assertThat(whole(exact, "", "9007199254740993")).isFalse(); // a double would round it up
    valid(exact, "9007199254740994");
  }

  @Test
  void numbersStayInTheirRange() {
    JsonSchema share = schema("{\"type\": \"number\", \"minimum\": -1.5, \"maximum\": 2.25}");
    valid(share, "2.25", "-1.5", "0", "-0", "0.5", "2.2", "2", "-1.49999", "1.000");
    refusedAt(share, "2.2^6");
    refusedAt(share, "2.25^1");
    refusedAt(share, "^3");
    refusedAt(share, "-1.5^1");
    refusedAt(share, "-^2");
    refusedAt(share, "1^e0"); // no exponent in a bounded number: 1 ends there
    assertThat(whole(share, "", "1")).isTrue();
    // exclusive bounds: 0 and 1 themselves are out, what lies between them is in
    JsonSchema open =
        schema("{\"type\": \"number\", \"exclusiveMinimum\": 0, \"exclusiveMaximum\": 1}");
    valid(open, "0.5", "0.00000000000000000001", "0.99999999999999999999");
    assertThat(whole(open, "", "0")).isFalse(); // may still become 0.5
    assertThat(whole(open, "", "0.0")).isFalse();
    refusedAt(open, "^1");
    refusedAt(open, "^-");
    refusedAt(open, "0.99999999999999999999^9"); // no more decimals than a model may write
    // a prefix that can only grow out of range is refused at once: 4 cannot become 50-60
    JsonSchema tens = schema("{\"type\": \"number\", \"minimum\": 50, \"maximum\": 60}");
    valid(tens, "50", "55.5", "60", "60.0");
    refusedAt(tens, "^4");
    refusedAt(tens, "6^1");
    refusedAt(tens, "60.^1");
    assertThat(whole(tens, "", "5")).isFalse();
    // one side only, and a bound that falls between the decimals a model may write
    valid(schema("{\"type\": \"number\", \"maximum\": 1}"), "1", "-1", "-1000.5", "0.999");
    refusedAt(schema("{\"type\": \"number\", \"maximum\": 1}"), "^2.5");
    refusedAt(schema("{\"type\": \"number\", \"minimum\": 0}"), "-^1"); // -0 is 0, in range
    // a number's union branch keeps its range; unbounded numbers still take exponents
    JsonSchema nullable =
        schema("{\"anyOf\": [{\"type\": \"number\", \"minimum\": 0}, {\"type\": \"null\"}]}");
    valid(nullable, "0.5", "null", "-0.0");
    refusedAt(nullable, "-0.^1");
    valid(schema("{\"type\": \"number\"}"), "-2.5e-3", "1E+9");
  }

  @Test
  void numbersAreWholeMultiplesOfTheirMultipleOf() {
    JsonSchema fives =
        schema("{\"type\": \"array\", \"items\": {\"type\": \"integer\", \"multipleOf\": 5}}");
    valid(fives, "[0,15,-20,100000]");
    refusedAt(fives, "[12^]"); // 12 may still become 120, but it ends here
    refusedAt(fives, "[1^.5]"); // an integer has no point, and 1 is no multiple of 5
    // with a range: between 1 and 9 only 5 is a multiple, so a 1 cannot even start
    JsonSchema five =
        schema("{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 9, \"multipleOf\": 5}");
    valid(five, "5");
    refusedAt(five, "^1");
    refusedAt(five, "^0");
    // an integer's multiple of 2.5 is a multiple of 5
    valid(schema("{\"type\": \"integer\", \"multipleOf\": 2.5}"), "10", "-5");
    assertThat(whole(schema("{\"type\": \"integer\", \"multipleOf\": 2.5}"), "", "15")).isTrue();
    assertThat(whole(schema("{\"type\": \"integer\", \"multipleOf\": 2.5}"), "", "12")).isFalse();
    // a number's: quarters, and no exponent
    JsonSchema quarters = schema("{\"type\": \"number\", \"multipleOf\": 0.25}");
    valid(quarters, "0.75", "-1.5", "2", "0.250", "100.25");
    refusedAt(quarters, "0.^3"); // nothing in [0.3, 0.4) is a quarter
    refusedAt(quarters, "0.75^1");
    refusedAt(quarters, "1^e2");
    assertThat(whole(quarters, "", "0.7")).isFalse(); // may still become 0.75
    JsonSchema cents =
        schema("{\"type\": \"number\", \"minimum\": 0, \"maximum\": 1, \"multipleOf\": 0.01}");
    valid(cents, "0.99", "1", "0", "0.5");
    refusedAt(cents, "0.99^5");
    refusedAt(cents, "1.^1");
    // a step finer than a model's last decimal: the multiples it can write are those of 1e-20
    valid(schema("{\"type\": \"number\", \"multipleOf\": 1e-25}"), "0.00000000000000000001");
  }

  @Test
  void aMultipleOfThatCannotBeMetIsRefused() {
    for (String bad :
        List.of(
            "{\"type\": \"integer\", \"multipleOf\": 0}",
            "{\"type\": \"number\", \"multipleOf\": -2}",
            "{\"type\": \"integer\", \"multipleOf\": \"5\"}",
            "{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 4, \"multipleOf\": 5}",
            // one side only: the other is the most a model may write, 20 digits
            "{\"type\": \"number\", \"minimum\": 1, \"multipleOf\": 1e20}",
            "{\"type\": \"number\", \"maximum\": -1, \"multipleOf\": 1e20}",
            "{\"type\": \"number\", \"minimum\": 0.1, \"maximum\": 0.2, \"multipleOf\": 0.25}")) {
      assertThatThrownBy(() -> schema(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> schema("{\"type\": \"integer\", \"multipleOf\": 0}"))
        .hasMessageContaining("'multipleOf' at #")
        .hasMessageContaining("above 0");
    assertThatThrownBy(
            () ->
                schema(
                    "{\"type\": \"integer\", \"minimum\": 1, \"maximum\": 4, \"multipleOf\": 5}"))
        .hasMessageContaining("no multiple of 5");
  }

  /** A string schema of {@code pattern} (given as Java text) and the extra keywords. */
  private static JsonSchema pattern(String regex, Object... more) {
    java.util.Map<String, Object> m = new java.util.HashMap<>();
    m.put("type", "string");
    m.put("pattern", regex);
    for (int i = 0; i < more.length; i += 2) {
      m.put((String) more[i], more[i + 1]);
    }
    return JsonSchema.compile(m);
  }

  private static JsonSchema format(String format) {
    return JsonSchema.compile(java.util.Map.of("type", "string", "format", format));
  }

  @Test
  void stringsMatchTheirPattern() {
    JsonSchema code = pattern("^[a-z]+-\\d{2,3}$");
    valid(code, "\"ab-12\"", "\"x-123\"");
    refusedAt(code, "\"^A");
    refusedAt(code, "\"ab-123^4");
    refusedAt(code, "\"ab-1^\"");
    refusedAt(code, "\"^-");
    // unanchored: the pattern may stand anywhere in the string
    JsonSchema inside = pattern("abc");
    valid(inside, "\"abc\"", "\"xx abc yy\"");
    refusedAt(inside, "\"xx^\"");
    // top-level alternatives each anchored as they say
    JsonSchema either = pattern("^yes$|^no$");
    valid(either, "\"yes\"", "\"no\"");
    refusedAt(either, "\"ye^\"");
    refusedAt(either, "\"yes^!");
    // the characters are the string's own, escapes and UTF-8 decoded
    valid(pattern("^a\"b\\\\$"), "\"a\\\"b\\\\\"");
    JsonSchema accents = pattern("^\u00e9+$");
    valid(accents, "\"\u00e9\u00e9\"", "\"\\u00e9\"", "\"\\u00E9\u00e9\"");
    refusedAt(accents, "\"^e");
    refusedAt(accents, "\"\\u00e^8");
    JsonSchema one = pattern("^[^a]$");
    valid(one, "\"\ud83d\ude00\"", "\"b\"");
    refusedAt(one, "\"\\ud^83d"); // a surrogate escape: write the character itself
    refusedAt(one, "\"b^c");
    // an escaped surrogate pair in the pattern is the one character it encodes
    valid(pattern("^\\uD83D\\uDE00$"), "\"\ud83d\ude00\"");
    // malformed UTF-8 is refused: an overlong form of '-', a lone continuation byte
    JsonGrammar dash = new JsonGrammar(pattern("^-$"), "");
    assertThat(dash.accept('"')).isTrue();
    assertThat(dash.copy().accept(0xE0)).isFalse();
    assertThat(dash.copy().accept(0xC0)).isFalse();
    assertThat(dash.copy().accept(0x80)).isFalse();
    assertThat(dash.copy().accept('-')).isTrue();
  }

  @Test
  void patternsKeepTheLengthBounds() {
    refusedAt(pattern("^a*$", "maxLength", 3), "\"aaa^a");
    // (ab)+ within 3 characters is only ab: a third character cannot lead to a match
    JsonSchema pairs = pattern("^(ab)+$", "maxLength", 3);
    valid(pairs, "\"ab\"");
    refusedAt(pairs, "\"ab^a");
    JsonSchema longer = pattern("^(ab)+$", "minLength", 3);
    valid(longer, "\"abab\"", "\"ababab\"");
    refusedAt(longer, "\"ab^\"");
    // a character is refused where only a dead end would follow it
    JsonSchema even = pattern("^(aa)+$", "minLength", 1, "maxLength", 3);
    valid(even, "\"aa\"");
    refusedAt(even, "\"aa^a");
    assertThatThrownBy(() -> pattern("^abcd$", "maxLength", 3))
        .hasMessageContaining("no string of the allowed length");
    // a class no character is in, or only lone surrogates (which no JSON string holds)
    for (String none : List.of("^a[^\\S\\W]", "[\\ud800-\\udfff]", "^a[]b")) {
      assertThatThrownBy(() -> pattern(none)).as(none).hasMessageContaining("no string");
    }
  }

  @Test
  void knownFormatsAreEnforced() {
    JsonSchema date = format("date");
    valid(date, "\"2026-11-29\"", "\"2024-02-29\"");
    refusedAt(date, "\"2026-1^3");
    refusedAt(date, "\"2026-11-3^2");
    refusedAt(date, "\"2026-11-29^T");
    refusedAt(date, "\"2023-04-3^1");
    refusedAt(date, "\"2024-02-^30");
    // February's 29th in leap years only: multiples of 4, but of 400 among the centuries
    valid(date, "\"2000-02-29\"", "\"1996-02-29\"", "\"0000-02-29\"", "\"2023-02-28\"");
    refusedAt(date, "\"2023-02-2^9");
    refusedAt(date, "\"1900-02-2^9");
    refusedAt(date, "\"2100-02-2^9");
    valid(format("date-time"), "\"2024-02-29T00:00:00Z\"");
    refusedAt(format("date-time"), "\"2026-02-2^9");
    JsonSchema stamp = format("date-time");
    valid(stamp, "\"2026-11-29T21:36:27Z\"", "\"2026-11-29t21:36:27.125+05:30\"");
    refusedAt(stamp, "\"2026-11-29T2^4");
    refusedAt(stamp, "\"2026-11-29T21:36:27^\"");
    valid(format("time"), "\"23:59:60-08:00\"");
    valid(format("uuid"), "\"123e4567-e89b-12d3-a456-426614174000\"");
    refusedAt(format("uuid"), "\"123e4567-^x");
    valid(format("ipv4"), "\"192.168.0.1\"", "\"255.255.255.255\"");
    refusedAt(format("ipv4"), "\"25^6");
    refusedAt(format("ipv4"), "\"1.2.3^\"");
    valid(format("email"), "\"a.b+c@example.co.uk\"");
    refusedAt(format("email"), "\"a@example^\"");
    valid(format("hostname"), "\"shelf-1.example.com\"");
    // a host name has at most 253 characters, an address 254, whatever the labels allow
    String label = "a".repeat(63);
    String host = label + "." + label + "." + label + "." + "b".repeat(61);
    valid(format("hostname"), "\"" + host + "\"");
    refusedAt(format("hostname"), "\"" + host + "^c");
    String domain = label + "." + label + "." + label + "." + "b".repeat(60);
    valid(format("email"), "\"x@" + domain + "\"");
    refusedAt(format("email"), "\"x@" + domain + "^c");
    refusedAt(format("hostname"), "\"^-a");
    // other formats are annotations: any string
    valid(format("uri"), "\"not a uri\"");
  }

  @Test
  void patternsItCannotEnforceAreRefused() {
    for (String bad :
        List.of(
            "(?=a)", "(a)\\1", "a\\b", "a^b", "a$b", "[z-a]", "a{3,2}", "(a", "a)", "*a", "\\p{L}",
            "a**", "a*{2}", "a+?+", "\\01")) {
      assertThatThrownBy(() -> pattern(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> pattern("^a$", "format", "date"))
        .hasMessageContaining("only one of them");
    assertThatThrownBy(() -> JsonSchema.compile(java.util.Map.of("type", "string", "pattern", 3)))
        .hasMessageContaining("'pattern' at #");
  }

  @Test
  void contradictoryBoundsAreRefused() {
    for (var bad :
        List.of(
            "{\"type\": \"string\", \"minLength\": 3, \"maxLength\": 2}",
            "{\"type\": \"array\", \"maxItems\": -1}",
            "{\"type\": \"array\", \"minItems\": 1.5}",
            "{\"type\": \"object\", \"required\": [\"a\", \"b\"], \"maxProperties\": 1}",
            "{\"properties\": {\"a\": {}}, \"additionalProperties\": false,"
                + " \"minProperties\": 2}",
            "{\"type\": \"integer\", \"minimum\": 1.5, \"maximum\": 1.9}",
            "{\"type\": \"integer\", \"minimum\": \"one\"}",
            "{\"type\": \"integer\", \"minimum\": 1e19}",
            "{\"type\": \"number\", \"minimum\": 2, \"exclusiveMaximum\": 2}",
            "{\"type\": \"number\", \"exclusiveMinimum\": 0, \"exclusiveMaximum\": 1e-21}",
            "{\"type\": \"number\", \"minimum\": 1e20}",
            "{\"type\": \"number\", \"maximum\": \"one\"}")) {
      assertThatThrownBy(() -> schema(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> schema("{\"properties\": {\"a\": {\"maxLength\": \"x\"}}}"))
        .hasMessageContaining("'maxLength' at #/properties/a");
  }

  @Test
  void schemasItCannotEnforceAreRefusedNamingWhere() {
    for (var bad :
        List.of(
            "{\"allOf\": [{\"type\": \"string\"}]}",
            "{\"anyOf\": [{\"type\": \"object\"}, {\"type\": \"object\"}]}",
            "{\"type\": \"text\"}",
            "{\"$ref\": \"https://example.com/s.json\"}",
            "{\"properties\": {\"a\": {\"enum\": [1.5]}}}")) {
      assertThatThrownBy(() -> schema(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> schema("{\"properties\": {\"a\": {\"not\": {}}}}"))
        .hasMessageContaining("'not' at #/properties/a");
  }
}

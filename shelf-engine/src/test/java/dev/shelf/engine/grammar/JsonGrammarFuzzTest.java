package dev.shelf.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The grammar against a real JSON parser (Jackson, strict: trailing text and a key written twice
 * refused, as the grammar refuses them): thousands of mutated JSON texts, each accepted whole by
 * the grammar exactly when Jackson parses it as one value, within the grammar's own limits (no
 * white space around the value, at most {@link JsonGrammar#MAX_BLANKS} blanks and {@link
 * JsonGrammar#MAX_DIGITS} digits in a row).
 */
class JsonGrammarFuzzTest {
  static final ObjectMapper STRICT =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  static final List<String> SEEDS =
      List.of(
          "{\"a\": [1, -2.5e+3, 0, true, false, null], \"b\": {\"c\": \"x\\\"y\\u00e9\\n\"}}",
          "[{}, [], \"\", 0.5, -0, 1E-2]",
          "{\"k\":{\"k\":{\"k\":[[[null]]]}}}",
          "\"caf\u00e9 \\\\ \\/ \\b\\f\\r\\t\"",
          "123",
          "{\"x\": 1, \"x\": 2}");

  /** Characters a mutation inserts or writes over: JSON's own, and some that break it. */
  static final String ALPHABET = "{}[],:\"\\ \n\t0123456789-+.eEtrufalsn\u00e9x/'ab";

  static final Pattern LONG_DIGITS = Pattern.compile("[0-9]{" + (JsonGrammar.MAX_DIGITS + 1) + "}");
  static final Pattern LONG_BLANKS =
      Pattern.compile("[ \\n\\t\\r]{" + (JsonGrammar.MAX_BLANKS + 1) + "}");

  static boolean jackson(String text) {
    try {
      STRICT.readTree(text);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  static boolean grammar(String text) {
    JsonGrammar g = new JsonGrammar(JsonSchema.ANY, "");
    return g.accept(text.getBytes(StandardCharsets.UTF_8)) && g.complete();
  }

  @Test
  void mutatedJsonIsAcceptedExactlyWhenJacksonParsesIt() {
    SplittableRandom r = new SplittableRandom(2026);
    int valid = 0;
    int checked = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder(SEEDS.get(r.nextInt(SEEDS.size())));
      int edits = 1 + r.nextInt(3);
      for (int e = 0; e < edits && !s.isEmpty(); e++) {
        int at = r.nextInt(s.length());
        char c = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
        switch (r.nextInt(3)) {
          case 0 -> s.insert(at, c);
          case 1 -> s.deleteCharAt(at);
          default -> s.setCharAt(at, c);
        }
      }
      String text = s.toString();
      boolean expected = jackson(text);
      // outside the grammar's own limits, which Jackson does not have
      if (expected
          && (text.isEmpty()
              || Character.isWhitespace(text.charAt(0))
              || Character.isWhitespace(text.charAt(text.length() - 1))
              || LONG_DIGITS.matcher(text).find()
              || LONG_BLANKS.matcher(text).find())) {
        continue;
      }
      checked++;
      valid += expected ? 1 : 0;
      assertThat(grammar(text)).as("%s (Jackson: %s)", text, expected).isEqualTo(expected);
    }
    // the mutations make both kinds, many of each
    assertThat(valid).isGreaterThan(1_000);
    assertThat(checked - valid).isGreaterThan(5_000);
  }
}

package dev.shelf.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.testing.SharedFixtures;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding over real vocabularies (GPT-2's byte-level BPE and Llama's SentencePiece
 * with byte fallback): random logits, masked, then the best allowed token, until end of generation.
 * Whatever the draws, the text is JSON of the schema, and end of generation comes only when it is
 * complete.
 */
class TokenConstraintTest {
  static final JsonSchema WEATHER =
      JsonGrammarTest.schema(
          """
          {"type": "object",
           "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
                          "unit": {"enum": ["c", "f"]}},
           "required": ["city", "days", "unit"], "additionalProperties": false}
          """);

  static Tokenizer vocab(String file) throws IOException {
    try (GgufFile f = GgufFile.open(SharedFixtures.models().resolve("vocab").resolve(file))) {
      return Tokenizer.fromGguf(f);
    }
  }

  /** A walk: random logits, tokens that close things favoured so it ends soon. */
  static String walk(Tokenizer tok, JsonSchema schema, long seed) {
    TokenConstraint c = new TokenConstraint(tok, new JsonGrammar(schema, ""));
    SplittableRandom random = new SplittableRandom(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    float[] logits = new float[tok.vocabSize()];
    for (int step = 0; step < 400; step++) {
      for (int id = 0; id < logits.length; id++) {
        byte[] p = tok.piece(id, false);
        boolean closing = p.length > 0 && "\"}],:0123456789".indexOf(p[p.length - 1]) >= 0;
        logits[id] = random.nextFloat() + (closing ? 3f : 0f);
      }
      assertThat(c.mask(logits)).as("tokens left after %s", out).isPositive();
      int best = 0;
      for (int id = 1; id < logits.length; id++) {
        if (logits[id] > logits[best]) {
          best = id;
        }
      }
      if (tok.isEndOfGeneration(best)) {
        assertThat(c.complete()).isTrue();
        return out.toString(StandardCharsets.UTF_8);
      }
      assertThat(c.allows(best)).isTrue();
      c.accept(best);
      out.writeBytes(tok.piece(best, false));
    }
    throw new AssertionError("no end after 400 tokens: " + out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyWalkEndsInJsonOfTheSchema() throws IOException {
    for (String file : List.of("ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf")) {
      Tokenizer tok = vocab(file);
      for (long seed = 1; seed <= 3; seed++) {
        String text = walk(tok, WEATHER, seed);
        Object parsed = SharedFixtures.parseJson(text);
        assertThat(parsed).as(file + ": " + text).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parsed;
        assertThat(m.keySet()).as(text).containsExactlyInAnyOrder("city", "days", "unit");
        assertThat(m.get("city")).isInstanceOf(String.class);
        double days = ((Number) java.util.Objects.requireNonNull(m.get("days"))).doubleValue();
        assertThat(days).as(text).isEqualTo(Math.rint(days));
        assertThat(m.get("unit")).isIn("c", "f");
      }
    }
  }

  @Test
  void walksKeepTheBounds() throws IOException {
    JsonSchema tags =
        JsonGrammarTest.schema(
            """
            {"type": "object",
             "properties": {"tags": {"type": "array", "minItems": 2, "maxItems": 3,
                                     "items": {"type": "string", "minLength": 2, "maxLength": 5}},
                            "n": {"type": "integer", "minimum": -5, "maximum": 250},
                            "p": {"type": "number", "minimum": -0.5, "exclusiveMaximum": 99.95},
                            "q": {"type": "number", "minimum": -3, "maximum": 7,
                                  "multipleOf": 0.25},
                            "k": {"type": "integer", "multipleOf": 3}},
             "required": ["tags", "n", "p", "q", "k"], "additionalProperties": false}
            """);
    walks(
        tags,
        4,
        (text, m) -> {
          @SuppressWarnings("unchecked")
          List<String> list = (List<String>) java.util.Objects.requireNonNull(m.get("tags"));
          assertThat(list).as(text).hasSizeBetween(2, 3);
          for (String tag : list) {
            assertThat(tag.codePointCount(0, tag.length())).as(text).isBetween(2, 5);
          }
          long n = ((Number) java.util.Objects.requireNonNull(m.get("n"))).longValue();
          assertThat(n).as(text).isBetween(-5L, 250L);
          // the number's exact text, not a double's rounding of it
          java.util.regex.Matcher p =
              java.util.regex.Pattern.compile("\"p\"\\s*:\\s*(-?[0-9.]+)").matcher(text);
          assertThat(p.find()).as(text).isTrue();
          java.math.BigDecimal value = new java.math.BigDecimal(p.group(1));
          assertThat(value).as(text).isGreaterThanOrEqualTo(new java.math.BigDecimal("-0.5"));
          assertThat(value).as(text).isLessThan(new java.math.BigDecimal("99.95"));
          java.util.regex.Matcher q =
              java.util.regex.Pattern.compile("\"q\"\\s*:\\s*(-?[0-9.]+)").matcher(text);
          assertThat(q.find()).as(text).isTrue();
          java.math.BigDecimal quarter = new java.math.BigDecimal(q.group(1));
          assertThat(quarter)
              .as(text)
              .isBetween(java.math.BigDecimal.valueOf(-3), java.math.BigDecimal.valueOf(7));
          assertThat(quarter.remainder(new java.math.BigDecimal("0.25")).signum())
              .as(text)
              .isZero();
          // an unbounded integer may have twenty digits, past a long: its exact text again
          java.util.regex.Matcher k =
              java.util.regex.Pattern.compile("\"k\"\\s*:\\s*(-?[0-9]+)").matcher(text);
          assertThat(k.find()).as(text).isTrue();
          assertThat(new java.math.BigInteger(k.group(1)).mod(java.math.BigInteger.valueOf(3)))
              .as(text)
              .isZero();
        });
  }

  /**
   * Walks ({@link #walk}) over the GPT-2 and Llama vocabularies with seeds 1 to {@code seeds}, each
   * text parsed and checked.
   */
  private static void walks(
      JsonSchema schema,
      int seeds,
      java.util.function.BiConsumer<String, Map<String, Object>> check)
      throws IOException {
    for (String file : List.of("ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf")) {
      Tokenizer tok = vocab(file);
      for (long seed = 1; seed <= seeds; seed++) {
        String text = walk(tok, schema, seed);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) SharedFixtures.parseJson(text);
        check.accept(file + ": " + text, m);
      }
    }
  }

  @Test
  void walksMatchPatternsAndFormats() throws IOException {
    JsonSchema booking =
        JsonGrammarTest.schema(
            """
            {"type": "object",
             "properties": {"day": {"type": "string", "format": "date"},
                            "code": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"},
                            "note": {"type": "string", "pattern": "ok", "maxLength": 6}},
             "required": ["day", "code", "note"], "additionalProperties": false}
            """);
    walks(
        booking,
        3,
        (text, m) -> {
          assertThat((String) m.get("day"))
              .as(text)
              .matches("\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])");
          assertThat((String) m.get("code")).as(text).matches("[A-Z]{2}-[0-9]{3}");
          String note = (String) java.util.Objects.requireNonNull(m.get("note"));
          assertThat(note).as(text).contains("ok");
          assertThat(note.codePointCount(0, note.length())).as(text).isLessThanOrEqualTo(6);
        });
  }

  @Test
  void anyObjectWalksParse() throws IOException {
    Tokenizer tok = vocab("ggml-vocab-llama-spm.gguf");
    for (long seed = 10; seed <= 12; seed++) {
      String text = walk(tok, JsonSchema.ANY_OBJECT, seed);
      assertThat(SharedFixtures.parseJson(text.strip())).as(text).isInstanceOf(Map.class);
    }
  }

  @Test
  void onlyEndOfGenerationOnceComplete() throws IOException {
    Tokenizer tok = vocab("ggml-vocab-gpt-2.gguf");
    TokenConstraint c = new TokenConstraint(tok, new JsonGrammar(JsonSchema.ANY_OBJECT, ""));
    float[] logits = new float[tok.vocabSize()];
    float[] start = logits.clone();
    assertThat(c.mask(start)).as("the start").isPositive();
    for (int id = 0; id < start.length; id++) {
      if (start[id] == 0f) {
        assertThat(tok.piece(id, false)[0]).as("token %d", id).isEqualTo((byte) '{');
      }
    }
    for (int id : tok.encode("{}", false)) {
      c.accept(id);
    }
    assertThat(c.complete()).isTrue();
    float[] last = new float[tok.vocabSize()];
    assertThat(c.mask(last)).isEqualTo(1);
    for (int id = 0; id < last.length; id++) {
      assertThat(last[id] == 0f).as("token %d", id).isEqualTo(tok.isEndOfGeneration(id));
    }
  }
}

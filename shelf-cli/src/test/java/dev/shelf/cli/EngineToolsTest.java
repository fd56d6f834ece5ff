package dev.shelf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shelf tokenize}, {@code generate} and {@code perplexity} against llama.cpp's golden files
 * for stories260K (../shared/models/stories260k; its README gives the llama.cpp commands that made
 * them).
 */
class EngineToolsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static String gguf() {
    return CliRun.stories().resolve("stories260K.gguf").toString();
  }

  private static JsonNode golden(String name) throws Exception {
    return JSON.readTree(CliRun.stories().resolve(name).toFile());
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  @Test
  void tokenizeEqualsLlamaTokenize() throws Exception {
    for (JsonNode c : golden("ref_tokenize.json")) {
      String text = c.get("text").asText();
      int[] ids = ints(c.get("ids_with_bos"));
      CliRun r = CliRun.run("tokenize", gguf(), text);
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.out().strip()).as(text).isEqualTo(Arrays.toString(ids));

      CliRun plain = CliRun.run("tokenize", "--no-special", gguf(), text);
      assertThat(plain.out().strip())
          .as(text)
          .isEqualTo(Arrays.toString(Arrays.copyOfRange(ids, 1, ids.length)));
    }
  }

  @Test
  void piecesAreLlamaTokenizesLines() throws Exception {
    JsonNode first = golden("ref_tokenize.json").get(0);
    CliRun r = CliRun.run("tokenize", "--pieces", gguf(), first.get("text").asText());
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> expected = new ArrayList<>();
    first.get("pieces").forEach(p -> expected.add(p.asText().strip()));
    assertThat(r.out().lines().map(String::strip).toList()).isEqualTo(expected);
  }

  @Test
  void greedyIdsEqualLlamaCpp() throws Exception {
    JsonNode first = golden("ref_greedy_continuations.json").get(0);
    int[] expected = ints(first.get("generated_ids"));
    CliRun r =
        CliRun.run(
            "generate",
            gguf(),
            first.get("prompt").asText(),
            "--greedy",
            "-n",
            String.valueOf(expected.length),
            "--ids",
            "--threads",
            "2");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().strip()).isEqualTo(Arrays.toString(expected));
  }

  @Test
  void generateFindsAModelByNameAndPrintsText() throws Exception {
    Path models = Files.createDirectories(dir.resolve("data/models"));
    Files.createSymbolicLink(models.resolve("stories.gguf"), Path.of(gguf()).toAbsolutePath());
    CliRun r =
        CliRun.run(
            "generate",
            "stories",
            "Once upon a time",
            "-n",
            "8",
            "--data-dir",
            dir.resolve("data").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("Once upon a time").hasSizeGreaterThan(17);

    CliRun missing = CliRun.run("generate", "nope", "x", "--data-dir", dir.toString());
    assertThat(missing.exit()).isNotZero();
    assertThat(missing.err()).contains("model 'nope' is neither a file nor in");
  }

  @Test
  void generateWritesJsonOfASchema() throws Exception {
    Path schema = dir.resolve("mood.json");
    Files.writeString(
        schema,
        "{\"type\": \"object\", \"properties\": {\"mood\": {\"enum\": [\"happy\", \"sad\"]},"
            + " \"age\": {\"type\": \"integer\"}}, \"required\": [\"mood\", \"age\"],"
            + " \"additionalProperties\": false}");
    String prompt = "Once upon a time";
    CliRun r =
        CliRun.run("generate", gguf(), prompt, "-n", "300", "--json-schema", schema.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode answer = new ObjectMapper().readTree(r.out().substring(prompt.length()));
    assertThat(answer.get("mood").asText()).isIn("happy", "sad");
    assertThat(answer.get("age").isIntegralNumber()).as(r.out()).isTrue();
    assertThat(answer.size()).isEqualTo(2);

    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"allOf\": []}");
    CliRun refused = CliRun.run("generate", gguf(), prompt, "--json-schema", bad.toString());
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).contains("cannot be enforced").contains("'allOf' at #");
  }

  @Test
  void perplexityEqualsLlamaPerplexity() throws Exception {
    JsonNode ref = golden("ref_perplexity.json");
    CliRun r =
        CliRun.run(
            "perplexity",
            gguf(),
            CliRun.stories().resolve(ref.get("text_file").asText()).toString(),
            "--ctx",
            ref.get("n_ctx").asText(),
            "--threads",
            "2");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains(ref.get("n_tokens_llama_tokenize_with_bos").asText() + " tokens");
    Matcher m = Pattern.compile("perplexity ([0-9.]+)").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    assertThat(Double.parseDouble(m.group(1)))
        .isCloseTo(ref.get("final_ppl").asDouble(), Percentage.withPercentage(0.1));
    assertThat(r.err()).contains("[3/3]");
  }
}

package dev.shelf.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads every vocab-only GGUF of ../shared/models/vocab (llama.cpp's tokenizer fixtures). The
 * expected values were read from the files with an independent Python parser.
 */
class VocabGgufTest {
  /** Tokenizer model, token count, pre-tokenizer (null when the file names none), merges. */
  private record Expected(String model, int tokens, String pre, int merges) {}

  private static final Map<String, Expected> EXPECTED =
      Map.of(
          "ggml-vocab-baichuan.gguf", new Expected("llama", 64_000, "", 0),
          "ggml-vocab-bert-bge.gguf", new Expected("bert", 30_522, "bert-bge", 0),
          "ggml-vocab-deepseek-coder.gguf", new Expected("gpt2", 32_256, "deepseek-coder", 31_757),
          "ggml-vocab-falcon.gguf", new Expected("gpt2", 65_024, "falcon", 64_784),
          "ggml-vocab-gpt-2.gguf", new Expected("gpt2", 50_257, "gpt-2", 50_000),
          "ggml-vocab-llama-spm.gguf", new Expected("llama", 32_000, "default", 0),
          "ggml-vocab-starcoder.gguf", new Expected("gpt2", 49_152, "starcoder", 48_872));

  static Stream<Path> vocabFiles() throws IOException {
    try (Stream<Path> files = Files.list(SharedModels.vocab())) {
      return files.filter(p -> p.toString().endsWith(".gguf")).sorted().toList().stream();
    }
  }

  @Test
  void everyKnownVocabIsPresent() throws IOException {
    assertThat(vocabFiles().map(p -> p.getFileName().toString())).containsAll(EXPECTED.keySet());
  }

  @ParameterizedTest
  @MethodSource("vocabFiles")
  void tokenizerMetadataLoads(Path path) throws IOException {
    try (GgufFile file = GgufFile.open(path)) {
      GgufMetadata m = file.metadata();
      assertThat(file.tensors()).isEmpty();
      assertThat(m.getString("general.architecture")).isNotBlank();
      String model = m.getString("tokenizer.ggml.model");
      assertThat(model).isIn("llama", "gpt2", "bert");
      String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
      assertThat(tokens).isNotEmpty().doesNotContainNull();
      assertThat(m.getIntArray("tokenizer.ggml.token_type")).hasSameSizeAs(tokens);
      if (m.contains("tokenizer.ggml.scores")) {
        assertThat(m.getFloatArray("tokenizer.ggml.scores")).hasSameSizeAs(tokens);
      }
      if (m.contains("tokenizer.ggml.pre")) {
        assertThat(m.getString("tokenizer.ggml.pre")).isNotBlank();
      }
      assertThat(m.getInt("tokenizer.ggml.bos_token_id", 0)).isBetween(0, tokens.length - 1);

      Expected expected = EXPECTED.get(path.getFileName().toString());
      if (expected != null) {
        assertThat(model).isEqualTo(expected.model());
        assertThat(tokens).hasSize(expected.tokens());
        assertThat(m.getString("tokenizer.ggml.pre", "")).isEqualTo(expected.pre());
        assertThat(m.contains("tokenizer.ggml.merges")).isEqualTo(expected.merges() > 0);
        if (expected.merges() > 0) {
          List<String> merges = List.of(m.getStringArray("tokenizer.ggml.merges"));
          assertThat(merges).hasSize(expected.merges());
          assertThat(merges).allSatisfy(merge -> assertThat(merge).contains(" "));
        }
      }
    }
  }

  @Test
  void gpt2VocabHasItsKnownTokens() throws IOException {
    try (GgufFile file = GgufFile.open(SharedModels.vocab().resolve("ggml-vocab-gpt-2.gguf"))) {
      String[] tokens = file.metadata().getStringArray("tokenizer.ggml.tokens");
      assertThat(tokens[0]).isEqualTo("!");
      assertThat(tokens[50_256]).isEqualTo("<|endoftext|>");
      assertThat(file.metadata().getInt("tokenizer.ggml.eos_token_id")).isEqualTo(50_256);
      assertThat(file.metadata().getStringArray("tokenizer.ggml.merges")[0]).isEqualTo("Ġ t");
    }
  }

  @Test
  void bertVocabHasABooleanAndSpecialIds() throws IOException {
    try (GgufFile file = GgufFile.open(SharedModels.vocab().resolve("ggml-vocab-bert-bge.gguf"))) {
      GgufMetadata m = file.metadata();
      assertThat(m.getBoolean("bert.attention.causal")).isFalse();
      assertThat(m.getInt("tokenizer.ggml.cls_token_id")).isEqualTo(101);
      assertThat(m.getStringArray("tokenizer.ggml.tokens")[101]).isEqualTo("[CLS]");
    }
  }
}

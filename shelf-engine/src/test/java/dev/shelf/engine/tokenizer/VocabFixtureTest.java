package dev.shelf.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * llama.cpp's own tokenizer tests: for every vocab-only GGUF in {@code ../shared/models/vocab} with
 * {@code .inp}/{@code .out} files, every case must give exactly llama.cpp's ids ({@code
 * tests/test-tokenizer-0.cpp}: no BOS/EOS added, {@code parse_special} false). The expected files
 * are llama.cpp's (commit c392e509); regenerate them with llama.cpp's {@code
 * convert_hf_to_gguf_update.py} and check with {@code test-tokenizer-0 ggml-vocab-X.gguf}.
 */
class VocabFixtureTest {
  static Stream<Path> vocabsWithCases() throws IOException {
    try (Stream<Path> files = Files.list(Fixtures.models().resolve("vocab"))) {
      return files
          .filter(p -> p.toString().endsWith(".gguf"))
          .filter(p -> Files.exists(p.resolveSibling(p.getFileName() + ".inp")))
          .sorted()
          .toList()
          .stream();
    }
  }

  @Test
  void theSixFamiliesHaveCases() throws IOException {
    assertThat(vocabsWithCases().map(p -> p.getFileName().toString()))
        .contains(
            "ggml-vocab-llama-spm.gguf",
            "ggml-vocab-gpt-2.gguf",
            "ggml-vocab-deepseek-coder.gguf",
            "ggml-vocab-falcon.gguf",
            "ggml-vocab-starcoder.gguf",
            "ggml-vocab-bert-bge.gguf");
  }

  @ParameterizedTest
  @MethodSource("vocabsWithCases")
  void everyCaseMatchesLlamaCpp(Path gguf) throws IOException {
    Tokenizer tokenizer;
    try (GgufFile file = GgufFile.open(gguf)) {
      tokenizer = Tokenizer.fromGguf(file);
    }
    List<Fixtures.Case> cases = Fixtures.cases(gguf);
    assertThat(cases).hasSize(46);
    List<String> failures = new ArrayList<>();
    for (Fixtures.Case c : cases) {
      int[] got = tokenizer.encode(c.text(), false, false);
      if (!Arrays.equals(got, c.ids())) {
        failures.add(c + "\n    got " + Arrays.toString(got));
      }
    }
    assertThat(failures)
        .as("%s: %d of %d cases differ", gguf.getFileName(), failures.size(), cases.size())
        .isEmpty();
  }
}

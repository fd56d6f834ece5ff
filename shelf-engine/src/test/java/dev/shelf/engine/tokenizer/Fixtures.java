package dev.shelf.engine.tokenizer;

import dev.shelf.engine.testing.SharedFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shared model fixtures ({@code ../shared/models}, found as the gguf package's SharedModels
 * finds them) and readers for llama.cpp's tokenizer test files.
 */
final class Fixtures {
  private Fixtures() {}

  static Path models() {
    return SharedFixtures.models();
  }

  static Path vocab(String name) {
    return models().resolve("vocab").resolve(name);
  }

  static Path stories260k() {
    return models().resolve("stories260k/stories260K.gguf");
  }

  /** One case of a {@code .inp}/{@code .out} pair: the text and llama.cpp's ids (no BOS/EOS). */
  record Case(int index, String text, int[] ids) {
    @Override
    public String toString() {
      return "case " + index + " " + escape(text) + " -> " + Arrays.toString(ids);
    }
  }

  /**
   * Reads the cases as llama.cpp's {@code tests/test-tokenizer-0.cpp} does: the {@code .inp} file
   * is split on {@code "\n__ggml_vocab_test__\n"} (the text after the last separator, empty here,
   * is not a case), so a case keeps its own leading and trailing newlines and may be empty; the
   * {@code .out} file has one line of space-separated ids per case, empty for an empty result.
   */
  static List<Case> cases(Path gguf) throws IOException {
    String raw =
        Files.readString(gguf.resolveSibling(gguf.getFileName() + ".inp"), StandardCharsets.UTF_8);
    List<String> out =
        Files.readAllLines(
            gguf.resolveSibling(gguf.getFileName() + ".out"), StandardCharsets.UTF_8);
    String sep = "\n__ggml_vocab_test__\n";
    List<String> inputs = new ArrayList<>();
    int pos = 0;
    while (pos < raw.length()) {
      int next = raw.indexOf(sep, pos);
      if (next < 0) {
        inputs.add(raw.substring(pos));
        break;
      }
      inputs.add(raw.substring(pos, next));
      pos = next + sep.length();
    }
    if (inputs.size() != out.size()) {
      throw new IllegalStateException(
          gguf + ": " + inputs.size() + " inputs but " + out.size() + " expected lines");
    }
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      String line = out.get(i).strip();
      int[] ids =
          line.isEmpty()
              ? new int[0]
              : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
      cases.add(new Case(i, inputs.get(i), ids));
    }
    return cases;
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp -> {
              switch (cp) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                default -> b.appendCodePoint(cp);
              }
            });
    return b.append('"').toString();
  }

  /** A minimal JSON reader (objects, arrays, strings, numbers, literals) for the golden files. */
  static Object parseJson(String json) {
    return SharedFixtures.parseJson(json);
  }
}

package dev.shelf.engine.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared model fixtures ({@code ../shared/models}, found as the gguf package's SharedModels
 * finds them) and readers for llama.cpp's tokenizer test files.
 */
final class Fixtures {
  private Fixtures() {}

  static Path models() {
    String root = System.getProperty("shelf.root");
    if (root != null) {
      Path candidate = Path.of(root).resolve("../shared/models").normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path sibling = p.resolveSibling("shared").resolve("models");
      if (p.getParent() != null && Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException("../shared/models not found from shelf.root=" + root);
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
    return new JsonReader(json).value();
  }

  private static final class JsonReader {
    private final String s;
    private int pos;

    JsonReader(String s) {
      this.s = s;
    }

    Object value() {
      skip();
      char c = s.charAt(pos);
      switch (c) {
        case '{' -> {
          pos++;
          Map<String, Object> map = new LinkedHashMap<>();
          skip();
          if (s.charAt(pos) == '}') {
            pos++;
            return map;
          }
          while (true) {
            skip();
            String key = string();
            skip();
            expect(':');
            map.put(key, value());
            skip();
            if (s.charAt(pos++) == '}') {
              return map;
            }
          }
        }
        case '[' -> {
          pos++;
          List<Object> list = new ArrayList<>();
          skip();
          if (s.charAt(pos) == ']') {
            pos++;
            return list;
          }
          while (true) {
            list.add(value());
            skip();
            if (s.charAt(pos++) == ']') {
              return list;
            }
          }
        }
        case '"' -> {
          return string();
        }
        default -> {
          int start = pos;
          while (pos < s.length() && ",]} \n\r\t".indexOf(s.charAt(pos)) < 0) {
            pos++;
          }
          String token = s.substring(start, pos);
          return switch (token) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            case "null" -> "null";
            default -> Double.parseDouble(token);
          };
        }
      }
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = s.charAt(pos++);
        if (c == '"') {
          return b.toString();
        }
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = s.charAt(pos++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'r' -> b.append('\r');
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'u' -> {
            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            pos += 4;
          }
          default -> b.append(e);
        }
      }
    }

    private void expect(char c) {
      if (s.charAt(pos) != c) {
        throw new IllegalArgumentException("expected '" + c + "' at " + pos);
      }
      pos++;
    }

    private void skip() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }
  }
}

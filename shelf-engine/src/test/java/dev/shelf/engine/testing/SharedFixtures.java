package dev.shelf.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's shared model fixtures ({@code ../shared/models} next to the multi-module root;
 * surefire sets {@code shelf.root}, and from an IDE the tree above the working directory is
 * searched), and a minimal JSON reader for their golden files: the engine has no JSON library.
 */
public final class SharedFixtures {
  private SharedFixtures() {}

  public static Path models() {
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
    throw new IllegalStateException(
        "../shared/models not found from shelf.root="
            + root
            + " nor above "
            + Path.of("").toAbsolutePath());
  }

  /** Parses JSON into maps, lists, strings, doubles, booleans and null. */
  public static Object parseJson(String json) {
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

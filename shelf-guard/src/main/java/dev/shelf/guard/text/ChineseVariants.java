package dev.shelf.guard.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Traditional to simplified Chinese, character by character.
 *
 * <p>The built-in table ({@code zh-variants.txt}, about 650 pairs) covers common characters, in
 * particular those of the terms the built-in tests list; it is not a full conversion table. A
 * traditional character outside it is matched as written, so a term listed in simplified form is
 * missed when written with such a character. {@link #load(Path)} reads a fuller table in OpenCC's
 * {@code TSCharacters.txt} format (a traditional character, a tab, then one or more simplified
 * candidates: the first wins). Mapping is one character to one character: phrase-level variants
 * (different words per region) are out of scope and belong in the keyword library itself.
 */
public final class ChineseVariants {
  private static final ChineseVariants BUILT_IN = readBuiltIn();

  private final Map<Integer, Integer> toSimplified;

  private ChineseVariants(Map<Integer, Integer> toSimplified) {
    this.toSimplified = Map.copyOf(toSimplified);
  }

  /** The compact built-in table. */
  public static ChineseVariants builtIn() {
    return BUILT_IN;
  }

  private static ChineseVariants readBuiltIn() {
    try (InputStream in = ChineseVariants.class.getResourceAsStream("zh-variants.txt")) {
      if (in == null) {
        throw new IllegalStateException("zh-variants.txt is missing from the classpath");
      }
      Map<Integer, Integer> map = new HashMap<>();
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        for (String pair : line.trim().split(" +")) {
          int[] cps = pair.codePoints().toArray();
          if (cps.length != 2) {
            throw new IllegalStateException(
                "zh-variants.txt: a pair must be two characters: " + pair);
          }
          map.put(cps[0], cps[1]);
        }
      }
      return new ChineseVariants(map);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The built-in table extended by an OpenCC {@code TSCharacters.txt}-style file. */
  public static ChineseVariants load(Path file) throws IOException {
    Map<Integer, Integer> map = new HashMap<>(builtIn().toSimplified);
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\t", 2);
      if (parts.length != 2
          || parts[0].codePointCount(0, parts[0].length()) != 1
          || parts[1].isBlank()) {
        throw new IllegalArgumentException(
            file + ":" + lineNo + ": expected <traditional>\\t<simplified> but was: " + line);
      }
      map.put(parts[0].codePointAt(0), parts[1].trim().codePointAt(0));
    }
    return new ChineseVariants(map);
  }

  /** The simplified form of {@code codePoint}, or the code point itself when it has none here. */
  public int toSimplified(int codePoint) {
    Integer simplified = toSimplified.get(codePoint);
    return simplified == null ? codePoint : simplified;
  }

  /** How many pairs the table holds. */
  public int size() {
    return toSimplified.size();
  }
}

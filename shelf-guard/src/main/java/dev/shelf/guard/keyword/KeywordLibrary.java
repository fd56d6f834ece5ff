package dev.shelf.guard.keyword;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A list of terms sharing a category.
 *
 * <p>File format (UTF-8): one term per line, surrounding white space trimmed, blank lines and lines
 * starting with {@code #} ignored. Header comments set options:
 *
 * <pre>
 * # category: gambling          (default: the file name without its extension)
 * # word-boundaries: off        (default on: Latin-script terms match whole words only)
 * 赌博
 * online casino
 * </pre>
 *
 * <p>Separators inside a term do not matter ({@code online casino} also matches {@code
 * onlinecasino} and {@code online-casino}); a term must keep at least one letter or digit after
 * normalisation, and at most {@link KeywordMatcher#MAX_TERM_LENGTH} normalised characters.
 *
 * @param category reported with every match of these terms
 * @param terms the terms as listed
 * @param wordBoundaries whether a term that starts (ends) with a letter of a script written with
 *     spaces must not be preceded (followed) by another such letter or digit
 * @param source the file it was read from, for error messages; null when built in code
 */
public record KeywordLibrary(
    String category, List<String> terms, boolean wordBoundaries, @Nullable Path source) {

  public KeywordLibrary {
    if (category.isBlank()) {
      throw new IllegalArgumentException("a keyword library needs a category");
    }
    terms = List.copyOf(terms);
  }

  /** A library built in code, with word boundaries on. */
  public static KeywordLibrary of(String category, List<String> terms) {
    return new KeywordLibrary(category, terms, true, null);
  }

  /** Reads a library file (format above). */
  public static KeywordLibrary load(Path file) throws IOException {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String category = dot > 0 ? name.substring(0, dot) : name;
    boolean boundaries = true;
    List<String> terms = new ArrayList<>();
    int lineNo = 0;
    for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      String line = raw.strip();
      if (lineNo == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1).strip();
      }
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String comment = line.substring(1).strip();
        int colon = comment.indexOf(':');
        if (colon > 0) {
          String key = comment.substring(0, colon).strip().toLowerCase(Locale.ROOT);
          String value = comment.substring(colon + 1).strip();
          switch (key) {
            case "category" -> {
              if (value.isEmpty()) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": category is empty");
              }
              category = value;
            }
            case "word-boundaries" ->
                boundaries =
                    switch (value.toLowerCase(Locale.ROOT)) {
                      case "on", "true", "yes" -> true;
                      case "off", "false", "no" -> false;
                      default ->
                          throw new IllegalArgumentException(
                              file
                                  + ":"
                                  + lineNo
                                  + ": word-boundaries must be on or off but was '"
                                  + value
                                  + "'");
                    };
            default -> {} // an ordinary comment that happens to contain a colon
          }
        }
        continue;
      }
      terms.add(line);
    }
    return new KeywordLibrary(category, terms, boundaries, file);
  }
}

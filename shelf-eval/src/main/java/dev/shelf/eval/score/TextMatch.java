package dev.shelf.eval.score;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Free-form matching. <b>Exact</b>: equal after stripping leading and trailing blanks.
 * <b>Normalized</b>: equal after SQuAD's {@code normalize_answer}, in its order: lower-case; remove
 * every ASCII punctuation character ({@code !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~}, Python's {@code
 * string.punctuation}); replace the articles {@code \b(a|an|the)\b} with a space; collapse runs of
 * whitespace to one space and trim.
 */
public final class TextMatch {
  private static final Pattern PUNCT =
      Pattern.compile("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]");
  private static final Pattern ARTICLES =
      Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern SPACES = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private TextMatch() {}

  public static boolean exact(String response, String reference) {
    return response.strip().equals(reference.strip());
  }

  public static String normalize(String s) {
    String t = s.toLowerCase(Locale.ROOT);
    t = PUNCT.matcher(t).replaceAll("");
    t = ARTICLES.matcher(t).replaceAll(" ");
    return SPACES.matcher(t).replaceAll(" ").strip();
  }

  public static boolean normalized(String response, String reference) {
    return normalize(response).equals(normalize(reference));
  }
}

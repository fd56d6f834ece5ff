package dev.shelf.guard.keyword;

/**
 * A listed term found in text.
 *
 * @param term the term as listed in its library
 * @param category the library's category
 * @param start where the match starts in the original text (a char index; in a stream, counted from
 *     the stream's first character)
 * @param end where it ends, exclusive; the span includes any separators inserted inside the term
 */
public record KeywordMatch(String term, String category, int start, int end) {
  public KeywordMatch {
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException(
          "a match needs 0 <= start < end but was [" + start + ", " + end + ")");
    }
  }

  /** The matched original text, given the text the offsets refer to. */
  public String in(CharSequence text) {
    return text.subSequence(start, end).toString();
  }
}

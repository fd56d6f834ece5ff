package dev.shelf.guard.text;

/**
 * Text after {@link TextNormalizer}, with each normalised character's original span.
 *
 * @param original the text as given
 * @param text the normalised text
 * @param originalStart for each character of {@code text}, where its source code point starts in
 *     {@code original}
 * @param originalEnd for each character of {@code text}, where its source code point ends
 */
public record NormalizedText(String original, String text, int[] originalStart, int[] originalEnd) {

  /** The original span of normalised characters {@code [from, to)}, as {@code {start, end}}. */
  public int[] originalSpan(int from, int to) {
    if (from < 0 || to > text.length() || from >= to) {
      throw new IndexOutOfBoundsException(
          "span [" + from + ", " + to + ") is not within 0.." + text.length());
    }
    return new int[] {originalStart[from], originalEnd[to - 1]};
  }
}

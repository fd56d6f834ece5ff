package dev.shelf.guard.text;

import java.text.Normalizer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Folds text into the form keyword matching sees, one code point at a time.
 *
 * <p>Each original code point maps to zero or more normalised characters:
 *
 * <ol>
 *   <li>NFKC (full-width and half-width forms, circled digits, ligatures, compatibility
 *       ideographs);
 *   <li>full case folding (upper then lower case, {@link Locale#ROOT}: {@code ß} becomes {@code
 *       ss});
 *   <li>canonical decomposition with combining marks dropped ({@code é} becomes {@code e}, stacked
 *       "zalgo" marks vanish);
 *   <li>traditional to simplified Chinese through {@link ChineseVariants};
 *   <li>characters that carry no letters are <em>ignorable</em> and map to nothing: white space,
 *       controls, format characters (zero-width space, joiners, BOM), punctuation, symbols
 *       (including emoji), unassigned and private-use code points.
 * </ol>
 *
 * <p>Because ignorables vanish, a term with spaces, punctuation or zero-width characters inserted
 * between its letters normalises to the term itself. Whoever consumes the stream decides how long a
 * run of ignorables may be before it separates words (the keyword matcher's {@code maxGap}).
 *
 * <p>Per code point (rather than per string) is deliberate: it lets the matcher run incrementally
 * over stream chunks and map every normalised character back to exactly one original code point.
 * The cost is that sequences NFKC would compose across code points (a letter followed by a
 * combining accent) are handled by step 3 instead, which gives the same result for matching. The
 * Basic Multilingual Plane is precomputed into a table (128 KiB) so the hot path is one array load.
 */
public final class TextNormalizer {
  /** A table entry meaning the character is ignorable. */
  public static final char IGNORABLE = '\0';

  /** A table entry meaning the character folds to more than one character: see {@link #fold}. */
  public static final char MULTI = '\uFFFF';

  private static final TextNormalizer STANDARD = new TextNormalizer(ChineseVariants.builtIn());

  private final ChineseVariants variants;
  private final char[] bmp = new char[0x10000];
  private final boolean[] bmpWord = new boolean[0x10000];
  private final Map<Character, String> bmpMulti = new HashMap<>();

  private TextNormalizer(ChineseVariants variants) {
    this.variants = variants;
    for (int c = 0; c < 0x10000; c++) {
      bmpWord[c] = isWordCodePoint(c);
      if (Character.isSurrogate((char) c)) {
        bmp[c] = IGNORABLE; // only reached for a lone surrogate: code points are folded whole
        continue;
      }
      String folded = compute(c);
      if (folded.isEmpty()) {
        bmp[c] = IGNORABLE;
      } else if (folded.length() == 1
          && folded.charAt(0) != IGNORABLE
          && folded.charAt(0) != MULTI) {
        bmp[c] = folded.charAt(0);
      } else {
        bmp[c] = MULTI;
        bmpMulti.put((char) c, folded);
      }
    }
  }

  /** The normaliser with the built-in Chinese variant table. */
  public static TextNormalizer standard() {
    return STANDARD;
  }

  /** A normaliser with another Chinese variant table (building one takes some tens of ms). */
  public static TextNormalizer with(ChineseVariants variants) {
    return new TextNormalizer(variants);
  }

  /**
   * The table entry for a BMP character: the folded character, {@link #IGNORABLE}, or {@link
   * #MULTI} (then call {@link #fold(int)}). Callers must fold a surrogate pair with {@link
   * #fold(int)}.
   */
  public char foldChar(char c) {
    return bmp[c];
  }

  /** {@link #isWordCodePoint(int)} through a table, for a code point in the BMP. */
  public boolean isWordChar(char c) {
    return bmpWord[c];
  }

  /** {@link #isWordCodePoint(int)}, through the table when the code point is in the BMP. */
  public boolean isWord(int codePoint) {
    return codePoint < 0x10000 ? bmpWord[codePoint] : isWordCodePoint(codePoint);
  }

  /** What a code point folds to; empty when it is ignorable. */
  public String fold(int codePoint) {
    if (codePoint < 0x10000) {
      char c = bmp[codePoint];
      if (c == IGNORABLE) {
        return "";
      }
      if (c == MULTI) {
        String multi = bmpMulti.get((char) codePoint);
        return multi == null ? "" : multi;
      }
      return String.valueOf(c);
    }
    return compute(codePoint);
  }

  /** Whether a code point folds to nothing. */
  public boolean isIgnorable(int codePoint) {
    return codePoint < 0x10000 ? bmp[codePoint] == IGNORABLE : compute(codePoint).isEmpty();
  }

  /** The whole text folded, ignorables dropped (how terms are compiled). */
  public String normalize(CharSequence text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); ) {
      int cp = Character.codePointAt(text, i);
      out.append(fold(cp));
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  /**
   * The whole text folded, with each normalised character's original span, so that a finding in
   * normalised text can point at the original.
   */
  public NormalizedText normalizeWithOffsets(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int[] starts = new int[text.length()];
    int[] ends = new int[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int next = i + Character.charCount(cp);
      String folded = fold(cp);
      for (int k = 0; k < folded.length(); k++) {
        if (n == starts.length) {
          starts = java.util.Arrays.copyOf(starts, n * 2 + 4);
          ends = java.util.Arrays.copyOf(ends, n * 2 + 4);
        }
        starts[n] = i;
        ends[n] = next;
        n++;
      }
      out.append(folded);
      i = next;
    }
    return new NormalizedText(
        text, out.toString(), java.util.Arrays.copyOf(starts, n), java.util.Arrays.copyOf(ends, n));
  }

  /**
   * Whether a code point is a letter or digit of a script written with spaces between words: terms
   * that begin or end with one only match at a word boundary (so {@code ass} does not match inside
   * {@code class}). Han, kana, Thai and similar scripts are written without spaces and never need
   * one.
   */
  public static boolean isWordCodePoint(int codePoint) {
    if (!Character.isLetterOrDigit(codePoint)) {
      return false;
    }
    return switch (Character.UnicodeScript.of(codePoint)) {
      case HAN, HIRAGANA, KATAKANA, THAI, LAO, KHMER, MYANMAR, TIBETAN -> false;
      default -> true;
    };
  }

  private String compute(int codePoint) {
    String s = Normalizer.normalize(new String(Character.toChars(codePoint)), Normalizer.Form.NFKC);
    s = s.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
    s = Normalizer.normalize(s, Normalizer.Form.NFD);
    StringBuilder kept = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (!ignorable(cp)) {
        kept.appendCodePoint(variants.toSimplified(cp));
      }
    }
    return Normalizer.normalize(kept, Normalizer.Form.NFC);
  }

  private static boolean ignorable(int cp) {
    return switch (Character.getType(cp)) {
      case Character.SPACE_SEPARATOR,
          Character.LINE_SEPARATOR,
          Character.PARAGRAPH_SEPARATOR,
          Character.CONTROL,
          Character.FORMAT,
          Character.NON_SPACING_MARK,
          Character.ENCLOSING_MARK,
          Character.CONNECTOR_PUNCTUATION,
          Character.DASH_PUNCTUATION,
          Character.START_PUNCTUATION,
          Character.END_PUNCTUATION,
          Character.INITIAL_QUOTE_PUNCTUATION,
          Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION,
          Character.MATH_SYMBOL,
          Character.CURRENCY_SYMBOL,
          Character.MODIFIER_SYMBOL,
          Character.OTHER_SYMBOL,
          Character.UNASSIGNED,
          Character.SURROGATE,
          Character.PRIVATE_USE ->
          true;
      default -> false;
    };
  }
}

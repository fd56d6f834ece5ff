package dev.shelf.engine.tokenizer;

import java.text.Normalizer;

/**
 * The code point properties llama.cpp's {@code unicode.cpp} tokenizes by, derived here from the
 * JDK's Unicode tables: one category flag per code point (as llama.cpp's generated table groups the
 * general categories), the White_Space set, simple lower-casing, the first code point of the
 * canonical decomposition, and GPT-2's byte to printable-character mapping.
 */
final class Unicode {
  static final int UNDEFINED = 0;
  static final int NUMBER = 1;
  static final int LETTER = 1 << 1;
  static final int SEPARATOR = 1 << 2;
  static final int ACCENT_MARK = 1 << 3;
  static final int PUNCTUATION = 1 << 4;
  static final int SYMBOL = 1 << 5;
  static final int CONTROL = 1 << 6;
  static final int CATEGORY_MASK = (1 << 7) - 1;
  static final int WHITESPACE = 1 << 8;

  private static final String[] BYTE_TO_UNICODE = new String[256];
  private static final int[] UNICODE_TO_BYTE = new int[512];

  static {
    java.util.Arrays.fill(UNICODE_TO_BYTE, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      int cp = printable ? b : 256 + n++;
      BYTE_TO_UNICODE[b] = String.valueOf((char) cp);
      UNICODE_TO_BYTE[cp] = b;
    }
  }

  private Unicode() {}

  /** The category flag of {@code cp} plus {@link #WHITESPACE}; 0 for unassigned or out of range. */
  static int flags(int cp) {
    if (cp < 0 || cp > Character.MAX_CODE_POINT) {
      return UNDEFINED;
    }
    int category =
        switch (Character.getType(cp)) {
          case Character.UPPERCASE_LETTER,
              Character.LOWERCASE_LETTER,
              Character.TITLECASE_LETTER,
              Character.MODIFIER_LETTER,
              Character.OTHER_LETTER ->
              LETTER;
          case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER ->
              NUMBER;
          case Character.NON_SPACING_MARK,
              Character.COMBINING_SPACING_MARK,
              Character.ENCLOSING_MARK ->
              ACCENT_MARK;
          case Character.CONNECTOR_PUNCTUATION,
              Character.DASH_PUNCTUATION,
              Character.START_PUNCTUATION,
              Character.END_PUNCTUATION,
              Character.INITIAL_QUOTE_PUNCTUATION,
              Character.FINAL_QUOTE_PUNCTUATION,
              Character.OTHER_PUNCTUATION ->
              PUNCTUATION;
          case Character.MATH_SYMBOL,
              Character.CURRENCY_SYMBOL,
              Character.MODIFIER_SYMBOL,
              Character.OTHER_SYMBOL ->
              SYMBOL;
          case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR ->
              SEPARATOR;
          case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE ->
              CONTROL;
          default -> UNDEFINED;
        };
    return isWhitespace(cp) ? category | WHITESPACE : category;
  }

  /** The Unicode White_Space property, which is what llama.cpp's {@code is_whitespace} holds. */
  static boolean isWhitespace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || cp == 0x20
        || cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  static boolean isLetter(int cp) {
    return (flags(cp) & LETTER) != 0;
  }

  static boolean isNumber(int cp) {
    return (flags(cp) & NUMBER) != 0;
  }

  static int toLower(int cp) {
    return Character.toLowerCase(cp);
  }

  /**
   * The first code point of the canonical decomposition; llama.cpp's NFD table keeps only that one
   * (the marks that follow are dropped by accent stripping anyway).
   */
  static int nfdFirst(int cp) {
    if (cp < 0xC0) {
      return cp;
    }
    String s = Character.toString(cp);
    String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
    return nfd.codePointAt(0);
  }

  /** GPT-2's printable stand-in for a byte, as a one-character string. */
  static String byteToUnicode(int b) {
    return BYTE_TO_UNICODE[b & 0xFF];
  }

  /** The byte a GPT-2 stand-in character encodes, or -1 when {@code cp} is not one. */
  static int unicodeToByte(int cp) {
    return cp >= 0 && cp < UNICODE_TO_BYTE.length ? UNICODE_TO_BYTE[cp] : -1;
  }
}

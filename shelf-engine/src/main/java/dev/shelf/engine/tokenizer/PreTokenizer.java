package dev.shelf.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words byte-level BPE merges within, exactly as llama.cpp's {@code
 * unicode_regex_split} does.
 *
 * <p>A pre-tokenizer is a list of regexes applied in turn: each one splits every word produced so
 * far into its matches and the gaps between them (gaps are words too, nothing is dropped). Three
 * details of llama.cpp are reproduced because they change ids:
 *
 * <ul>
 *   <li>the GPT-2 and Llama 3 regexes run as hand-written scanners ({@link #gpt2} and {@link
 *       #llama3}) over code point flags, not as regexes;
 *   <li>any other regex that uses {@code \p{..}} classes runs over a <em>collapsed</em> text in
 *       which every non-ASCII code point is replaced by one stand-in character per category
 *       (letter, number, punctuation, mark, symbol, other) and non-ASCII whitespace by {@code
 *       \x0B}, with {@code \p{L}} rewritten to {@code [<stand-in>A-Za-z]} and so on: so {@code \s}
 *       only sees ASCII whitespace plus the stand-in, exactly like C++ {@code std::regex};
 *   <li>regexes without categories run over the real code points, again with non-ASCII whitespace
 *       replaced by {@code \x0B}.
 * </ul>
 *
 * The regex lists are llama.cpp's ({@code llm_tokenizer_bpe} in {@code llama-vocab.cpp}).
 */
final class PreTokenizer {
  static final String GPT2 =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
  static final String LLAMA3 =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
          + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  static final String QWEN2 =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
          + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  // six range ends are singleton-decomposable code points (U+1FBE, U+1FD3, U+1FDB, U+1F7D,
  // U+2126, U+212A): escaped, so no editor or copy step can normalise them into other letters
  static final String DEEPSEEK_LLM_LETTERS =
      "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

  /** The pre-tokenizer and tokenizer flags llama.cpp attaches to a {@code tokenizer.ggml.pre}. */
  record Config(List<String> regexes, boolean ignoreMerges, boolean cleanSpaces, boolean addBos) {}

  /** The configuration for a pre-tokenizer name, or null when llama.cpp does not know it. */
  static @org.jspecify.annotations.Nullable Config config(String pre) {
    return switch (pre) {
      case "", "default" ->
          new Config(
              List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"),
              false,
              true,
              false);
      case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0" ->
          new Config(List.of(LLAMA3), true, true, true);
      case "dbrx", "smaug-bpe" -> new Config(List.of(LLAMA3), false, true, false);
      case "deepseek-llm" ->
          new Config(
              List.of(
                  "[\r\n]",
                  DEEPSEEK_LLM_LETTERS,
                  "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
                  "\\s+$",
                  "[一-龥ࠀ-一가-퟿]+",
                  "\\p{N}+"),
              false,
              false,
              false);
      case "deepseek-coder" ->
          new Config(
              List.of("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"),
              false,
              false,
              false);
      case "falcon" ->
          new Config(
              List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]"), false, true, false);
      case "starcoder", "refact", "codeshell", "exaone", "minerva-7b" ->
          new Config(List.of("\\p{N}", GPT2), false, true, false);
      case "command-r", "smollm" -> new Config(List.of("\\p{N}", GPT2), false, false, false);
      case "gpt-2",
          "phi-2",
          "jina-es",
          "jina-de",
          "gigachat",
          "jina-v2-es",
          "jina-v2-de",
          "mpt",
          "olmo",
          "jais",
          "exaone4",
          "roberta-bpe",
          "jina-v1-en",
          "jina-v2-code" ->
          new Config(List.of(GPT2), false, true, false);
      case "qwen2", "deepseek-r1-qwen", "megrez" -> new Config(List.of(QWEN2), false, false, false);
      case "stablelm2" -> new Config(List.of(QWEN2), false, true, false);
      case "poro-chat", "bloom", "gpt3-finnish" ->
          new Config(List.of(" ?[^(\\s|.,!?…。，、।۔،)]+"), false, !pre.equals("poro-chat"), false);
      default -> null;
    };
  }

  private final List<String> regexes;
  private final List<Pattern> patterns = new ArrayList<>();
  private final List<Boolean> collapsed = new ArrayList<>();

  PreTokenizer(List<String> regexes) {
    this.regexes = List.copyOf(regexes);
    for (String regex : regexes) {
      boolean usesCategories = regex.contains("\\p{");
      collapsed.add(usesCategories);
      patterns.add(Pattern.compile(usesCategories ? collapseRegex(regex) : regex));
    }
  }

  /** The words of {@code text}, in order; their concatenation is {@code text}. */
  List<String> split(String text) {
    int[] cpts = text.codePoints().toArray();
    List<Integer> offsets = new ArrayList<>();
    if (cpts.length > 0) {
      offsets.add(cpts.length);
    }
    String collapsedText = null;
    for (int r = 0; r < regexes.size(); r++) {
      String regex = regexes.get(r);
      if (regex.equals(GPT2)) {
        offsets = gpt2(cpts, offsets);
      } else if (regex.equals(LLAMA3)) {
        offsets = llama3(cpts, offsets);
      } else if (collapsed.get(r)) {
        if (collapsedText == null) {
          collapsedText = collapse(cpts);
        }
        offsets = regexSplit(collapsedText, null, patterns.get(r), offsets);
      } else {
        StringBuilder sb = new StringBuilder();
        int[] cpToChar = new int[cpts.length + 1];
        for (int i = 0; i < cpts.length; i++) {
          cpToChar[i] = sb.length();
          int cp = cpts[i];
          sb.appendCodePoint(cp > 0x7F && Unicode.isWhitespace(cp) ? 0x0B : cp);
        }
        cpToChar[cpts.length] = sb.length();
        offsets = regexSplit(sb.toString(), cpToChar, patterns.get(r), offsets);
      }
    }
    List<String> words = new ArrayList<>(offsets.size());
    int start = 0;
    for (int len : offsets) {
      words.add(new String(cpts, start, len));
      start += len;
    }
    return words;
  }

  /**
   * Splits each word by {@code pattern}; {@code cpToChar} maps code points to chars (null: 1:1).
   */
  private static List<Integer> regexSplit(
      String subject,
      int @org.jspecify.annotations.Nullable [] cpToChar,
      Pattern pattern,
      List<Integer> offsets) {
    List<Integer> out = new ArrayList<>();
    Matcher m = pattern.matcher(subject);
    int start = 0;
    for (int len : offsets) {
      int cs = cpToChar == null ? start : cpToChar[start];
      int ce = cpToChar == null ? start + len : cpToChar[start + len];
      m.reset();
      m.region(cs, ce);
      int prev = start;
      while (m.find()) {
        if (m.end() == m.start()) {
          continue;
        }
        int ms = toCp(cpToChar, m.start());
        int me = toCp(cpToChar, m.end());
        if (ms > prev) {
          out.add(ms - prev);
        }
        out.add(me - ms);
        prev = me;
      }
      if (prev < start + len) {
        out.add(start + len - prev);
      }
      start += len;
    }
    return out;
  }

  private static int toCp(int @org.jspecify.annotations.Nullable [] cpToChar, int charIndex) {
    if (cpToChar == null) {
      return charIndex;
    }
    int i = java.util.Arrays.binarySearch(cpToChar, charIndex);
    if (i < 0) {
      throw new IllegalStateException("match boundary inside a surrogate pair at " + charIndex);
    }
    return i;
  }

  /** One char per code point: ASCII as is, the rest as a stand-in for its category. */
  private static String collapse(int[] cpts) {
    char[] out = new char[cpts.length];
    for (int i = 0; i < cpts.length; i++) {
      int cp = cpts[i];
      if (cp < 128) {
        out[i] = (char) cp;
        continue;
      }
      int flags = Unicode.flags(cp);
      if ((flags & Unicode.WHITESPACE) != 0) {
        out[i] = 0x0B;
      } else {
        out[i] =
            switch (flags & Unicode.CATEGORY_MASK) {
              case Unicode.NUMBER -> '\u00D1';
              case Unicode.LETTER -> '\u00D2';
              case Unicode.PUNCTUATION -> '\u00D3';
              case Unicode.ACCENT_MARK -> '\u00D4';
              case Unicode.SYMBOL -> '\u00D5';
              default -> '\u00D0';
            };
      }
    }
    return new String(out);
  }

  /** Rewrites {@code \p{X}} to the stand-in character plus the ASCII members of the category. */
  static String collapseRegex(String regex) {
    StringBuilder out = new StringBuilder();
    boolean inside = false;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '[' && (i == 0 || regex.charAt(i - 1) != '\\')) {
        out.append('[');
        inside = true;
        continue;
      }
      if (inside && c == ']' && regex.charAt(i - 1) != '\\') {
        out.append(']');
        inside = false;
        continue;
      }
      if (c == '\\'
          && i + 3 < regex.length()
          && regex.charAt(i + 1) == 'p'
          && regex.charAt(i + 2) == '{') {
        int close = regex.indexOf('}', i + 3);
        if (close >= 0 && close <= i + 10) {
          String members = categoryMembers(regex.substring(i, close + 1));
          if (members != null) {
            out.append(inside ? members : "[" + members + "]");
            i = close;
            continue;
          }
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  private static @org.jspecify.annotations.Nullable String categoryMembers(String category) {
    return switch (category) {
      case "\\p{N}" -> "\u00D10-9";
      case "\\p{L}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}" -> "\u00D2A-Za-z";
      case "\\p{P}" -> "\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
      case "\\p{M}" -> "\u00D4";
      case "\\p{S}" -> "\u00D5\\$\\+<->^`\\|";
      default -> null;
    };
  }

  /** llama.cpp's scanner for the GPT-2 regex (see {@link #GPT2}) plus a final {@code \s+}. */
  static List<Integer> gpt2(int[] cpts, List<Integer> offsets) {
    List<Integer> out = new ArrayList<>();
    int start = 0;
    for (int offset : offsets) {
      Scan s = new Scan(cpts, start, start + offset, out);
      start += offset;
      for (int pos = s.ini; pos < s.end; ) {
        int cpt = s.cpt(pos);
        int flags = s.flags(pos);
        if (cpt == '\'' && pos + 1 < s.end) {
          int next = s.cpt(pos + 1);
          if (next == 's' || next == 't' || next == 'm' || next == 'd') {
            pos += s.add(pos + 2);
            continue;
          }
          if (pos + 2 < s.end) {
            int nextNext = s.cpt(pos + 2);
            if ((next == 'r' && nextNext == 'e')
                || (next == 'v' && nextNext == 'e')
                || (next == 'l' && nextNext == 'l')) {
              pos += s.add(pos + 3);
              continue;
            }
          }
        }
        int flags2 = cpt == ' ' ? s.flags(pos + 1) : flags;
        if ((flags2 & Unicode.LETTER) != 0) {
          pos += cpt == ' ' ? 1 : 0;
          while ((flags2 & Unicode.LETTER) != 0) {
            flags2 = s.flags(++pos);
          }
          s.add(pos);
          continue;
        }
        if ((flags2 & Unicode.NUMBER) != 0) {
          pos += cpt == ' ' ? 1 : 0;
          while ((flags2 & Unicode.NUMBER) != 0) {
            flags2 = s.flags(++pos);
          }
          s.add(pos);
          continue;
        }
        if (isOther(flags2)) {
          pos += cpt == ' ' ? 1 : 0;
          while (isOther(flags2)) {
            flags2 = s.flags(++pos);
          }
          s.add(pos);
          continue;
        }
        int whitespaces = 0;
        while ((s.flags(pos + whitespaces) & Unicode.WHITESPACE) != 0) {
          whitespaces++;
        }
        if (whitespaces > 1 && s.cpt(pos + whitespaces) != Scan.OUT_OF_RANGE) {
          pos += whitespaces - 1;
          s.add(pos);
          continue;
        }
        if (whitespaces > 0) {
          pos += whitespaces;
          s.add(pos);
          continue;
        }
        s.add(++pos);
      }
    }
    return out;
  }

  /** llama.cpp's scanner for the Llama 3 regex (see {@link #LLAMA3}). */
  static List<Integer> llama3(int[] cpts, List<Integer> offsets) {
    List<Integer> out = new ArrayList<>();
    int start = 0;
    for (int offset : offsets) {
      Scan s = new Scan(cpts, start, start + offset, out);
      start += offset;
      for (int pos = s.ini; pos < s.end; ) {
        int cpt = s.cpt(pos);
        int flags = s.flags(pos);
        if (cpt == '\'' && pos + 1 < s.end) {
          int next = Unicode.toLower(s.cpt(pos + 1));
          if (next == 's' || next == 't' || next == 'm' || next == 'd') {
            pos += s.add(pos + 2);
            continue;
          }
          if (pos + 2 < s.end) {
            int nextNext = Unicode.toLower(s.cpt(pos + 2));
            if ((next == 'r' && nextNext == 'e')
                || (next == 'v' && nextNext == 'e')
                || (next == 'l' && nextNext == 'l')) {
              pos += s.add(pos + 3);
              continue;
            }
          }
        }
        if (!(cpt == '\r' || cpt == '\n' || (flags & Unicode.NUMBER) != 0)) {
          if ((flags & Unicode.LETTER) != 0 || (s.flags(pos + 1) & Unicode.LETTER) != 0) {
            pos++;
            while ((s.flags(pos) & Unicode.LETTER) != 0) {
              pos++;
            }
            s.add(pos);
            continue;
          }
        }
        if ((flags & Unicode.NUMBER) != 0) {
          int ini = pos;
          while ((s.flags(pos) & Unicode.NUMBER) != 0) {
            if (++pos - ini >= 3) {
              s.add(pos);
              ini = pos;
            }
          }
          s.add(pos);
          continue;
        }
        int flags2 = cpt == ' ' ? s.flags(pos + 1) : flags;
        if ((flags2 & (Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER)) == 0 && flags != 0) {
          pos += cpt == ' ' ? 1 : 0;
          while (isOther(flags2)) {
            flags2 = s.flags(++pos);
          }
          int cpt2 = s.cpt(pos);
          while (cpt2 == '\r' || cpt2 == '\n') {
            cpt2 = s.cpt(++pos);
          }
          s.add(pos);
          continue;
        }
        int whitespaces = 0;
        int lastEndROrN = 0;
        while ((s.flags(pos + whitespaces) & Unicode.WHITESPACE) != 0) {
          int cpt2 = s.cpt(pos + whitespaces);
          if (cpt2 == '\r' || cpt2 == '\n') {
            lastEndROrN = pos + whitespaces + 1;
          }
          whitespaces++;
        }
        if (lastEndROrN > 0) {
          pos = lastEndROrN;
          s.add(pos);
          continue;
        }
        if (whitespaces > 1 && s.cpt(pos + whitespaces) != Scan.OUT_OF_RANGE) {
          pos += whitespaces - 1;
          s.add(pos);
          continue;
        }
        if (whitespaces > 0) {
          pos += whitespaces;
          s.add(pos);
          continue;
        }
        s.add(++pos);
      }
    }
    return out;
  }

  /** {@code [^\s\p{L}\p{N}]} for a defined code point. */
  private static boolean isOther(int flags) {
    return (flags & (Unicode.WHITESPACE | Unicode.LETTER | Unicode.NUMBER)) == 0 && flags != 0;
  }

  /** The state of one scanner pass over the word {@code [ini, end)}. */
  private static final class Scan {
    static final int OUT_OF_RANGE = -1;
    final int[] cpts;
    final int ini;
    final int end;
    final List<Integer> out;
    int prevEnd;

    Scan(int[] cpts, int ini, int end, List<Integer> out) {
      this.cpts = cpts;
      this.ini = ini;
      this.end = end;
      this.out = out;
      this.prevEnd = ini;
    }

    int cpt(int pos) {
      return pos >= ini && pos < end ? cpts[pos] : OUT_OF_RANGE;
    }

    int flags(int pos) {
      return pos >= ini && pos < end ? Unicode.flags(cpts[pos]) : 0;
    }

    int add(int tokenEnd) {
      int len = tokenEnd - prevEnd;
      if (len > 0) {
        out.add(len);
      }
      prevEnd = tokenEnd;
      return len;
    }
  }
}

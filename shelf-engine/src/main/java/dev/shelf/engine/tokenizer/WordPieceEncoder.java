package dev.shelf.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * WordPiece as llama.cpp's {@code llm_tokenizer_wpm_session} runs it (BERT-family embedding
 * models). The text is lower-cased and stripped of accents (canonical decomposition, marks
 * dropped), cut at whitespace, with every punctuation mark, ASCII symbol and CJK ideograph a word
 * of its own; each word, prefixed with U+2581, is then covered greedily by the longest vocabulary
 * piece at each position, and a word that cannot be covered becomes {@code [UNK]}. GGUF stores
 * word-initial pieces with the U+2581 prefix and continuation pieces without BERT's {@code ##}.
 */
final class WordPieceEncoder implements SegmentEncoder {
  private static final String PHANTOM_SPACE = "\u2581";

  private final Vocab vocab;
  private final int unknownId;
  private final boolean lowercase;
  private final boolean stripAccents;

  WordPieceEncoder(Vocab vocab, int unknownId, boolean lowercase, boolean stripAccents) {
    this.vocab = vocab;
    this.unknownId = unknownId;
    this.lowercase = lowercase;
    this.stripAccents = stripAccents;
  }

  @Override
  public void encode(String text, Vocab.IntList out) {
    for (String word : preprocess(text)) {
      if (word.isEmpty()) {
        continue;
      }
      String word1 = PHANTOM_SPACE + word;
      int n = word1.length();
      int before = out.size();
      boolean matchedAll = true;
      List<Integer> ids = new ArrayList<>();
      for (int i = 0; i < n; ) {
        int matchEnd = -1;
        for (int j = Math.min(n, i + vocab.maxTokenChars); j > i; j--) {
          if (j < n && Character.isLowSurrogate(word1.charAt(j))) {
            continue;
          }
          int id = vocab.id(word1.substring(i, j));
          if (id >= 0) {
            ids.add(id);
            matchEnd = j;
            break;
          }
        }
        if (matchEnd < 0) {
          matchedAll = false;
          break;
        }
        i = matchEnd;
      }
      if (matchedAll && !ids.isEmpty()) {
        ids.forEach(out::add);
      }
      if (out.size() == before) {
        out.add(unknownId);
      }
    }
  }

  private List<String> preprocess(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int[] cpts = text.codePoints().toArray();
    for (int cp : cpts) {
      if (stripAccents) {
        cp = Unicode.nfdFirst(cp);
      }
      int flags = Unicode.flags(cp);
      if ((flags & Unicode.WHITESPACE) != 0) {
        flush(words, current);
        continue;
      }
      if (cp == 0 || cp == 0xFFFD || (flags & Unicode.CONTROL) != 0) {
        continue;
      }
      if (stripAccents && (flags & Unicode.ACCENT_MARK) != 0) {
        continue;
      }
      int mapped = lowercase ? Unicode.toLower(cp) : cp;
      if ((flags & Unicode.PUNCTUATION) != 0
          || (cp < 0x7F && (flags & Unicode.SYMBOL) != 0)
          || isChineseChar(cp)) {
        flush(words, current);
        words.add(Character.toString(mapped));
      } else {
        current.appendCodePoint(mapped);
      }
    }
    flush(words, current);
    return words;
  }

  private static void flush(List<String> words, StringBuilder current) {
    if (!current.isEmpty()) {
      words.add(current.toString());
      current.setLength(0);
    }
  }

  private static boolean isChineseChar(int cp) {
    return (cp >= 0x04E00 && cp <= 0x09FFF)
        || (cp >= 0x03400 && cp <= 0x04DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B920 && cp <= 0x2CEAF) // llama.cpp and HF use 0x2B920, not 0x2B820
        || (cp >= 0x0F900 && cp <= 0x0FAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }
}

package dev.shelf.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE as llama.cpp's {@code llm_tokenizer_bpe_session} runs it: the pre-tokenizer cuts
 * the text into words, each word's UTF-8 bytes become GPT-2's printable stand-in characters, and
 * within a word the adjacent pair with the lowest merge rank is merged (ties: leftmost) until no
 * pair has a rank.
 */
final class BpeEncoder implements SegmentEncoder {
  private final Vocab vocab;
  private final PreTokenizer preTokenizer;
  private final Map<String, Integer> ranks;
  private final boolean ignoreMerges;

  BpeEncoder(
      Vocab vocab, PreTokenizer preTokenizer, Map<String, Integer> ranks, boolean ignoreMerges) {
    this.vocab = vocab;
    this.preTokenizer = preTokenizer;
    this.ranks = ranks;
    this.ignoreMerges = ignoreMerges;
  }

  private record Bigram(int left, int right, String text, int rank) {}

  @Override
  public void encode(String text, Vocab.IntList out) {
    for (String word : preTokenizer.split(text)) {
      StringBuilder encoded = new StringBuilder();
      for (byte b : word.getBytes(StandardCharsets.UTF_8)) {
        encoded.append(Unicode.byteToUnicode(b));
      }
      encodeWord(encoded.toString(), out);
    }
  }

  private void encodeWord(String word, Vocab.IntList out) {
    if (ignoreMerges) {
      int id = vocab.id(word);
      if (id >= 0) {
        out.add(id);
        return;
      }
    }
    // every stand-in character is one UTF-16 char, so symbols start as single chars
    int n = word.length();
    int[] len = new int[n];
    int[] prev = new int[n];
    int[] next = new int[n];
    for (int i = 0; i < n; i++) {
      len[i] = 1;
      prev[i] = i - 1;
      next[i] = i + 1 == n ? -1 : i + 1;
    }
    PriorityQueue<Bigram> queue =
        new PriorityQueue<>(
            (a, b) ->
                a.rank != b.rank
                    ? Integer.compare(a.rank, b.rank)
                    : Integer.compare(a.left, b.left));
    for (int i = 1; i < n; i++) {
      tryAdd(word, len, i - 1, i, queue);
    }
    while (!queue.isEmpty()) {
      Bigram bigram = queue.poll();
      int left = bigram.left;
      int right = bigram.right;
      if (len[left] == 0 || len[right] == 0) {
        continue;
      }
      if (len[left] + len[right] != bigram.text.length()
          || !word.startsWith(bigram.text, left)
          || right != left + len[left]) {
        continue;
      }
      len[left] += len[right];
      len[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) {
        prev[next[right]] = left;
      }
      tryAdd(word, len, prev[left], left, queue);
      tryAdd(word, len, left, next[left], queue);
    }
    for (int i = 0; i != -1 && n > 0; i = next[i]) {
      String symbol = word.substring(i, i + len[i]);
      int id = vocab.id(symbol);
      if (id >= 0) {
        out.add(id);
        continue;
      }
      // llama.cpp falls back to one-byte pieces, which only ASCII stand-ins can be
      for (int j = 0; j < symbol.length(); j++) {
        char c = symbol.charAt(j);
        if (c < 0x80) {
          int byteId = vocab.id(String.valueOf(c));
          if (byteId >= 0) {
            out.add(byteId);
          }
        }
      }
    }
  }

  private void tryAdd(String word, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
    if (left == -1 || right == -1) {
      return;
    }
    String leftText = word.substring(left, left + len[left]);
    String rightText = word.substring(right, right + len[right]);
    Integer rank = ranks.get(leftText + " " + rightText);
    if (rank != null) {
      queue.add(new Bigram(left, right, leftText + rightText, rank));
    }
  }
}

package dev.shelf.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE as llama.cpp's {@code llm_tokenizer_spm} runs it: start from single code
 * points, repeatedly merge the adjacent pair whose concatenation is the vocabulary piece with the
 * highest score (ties: leftmost), and emit any code point that never became a piece as its UTF-8
 * bytes through the {@code <0xNN>} byte tokens. The caller has already replaced spaces by U+2581.
 */
final class SpmEncoder implements SegmentEncoder {
  private final Vocab vocab;
  private final int unknownId;

  SpmEncoder(Vocab vocab, int unknownId) {
    this.vocab = vocab;
    this.unknownId = unknownId;
  }

  private record Bigram(int left, int right, float score, int size) {}

  @Override
  public void encode(String text, Vocab.IntList out) {
    int n = text.codePointCount(0, text.length());
    if (n == 0) {
      return;
    }
    int[] start = new int[n];
    int[] len = new int[n];
    int[] prev = new int[n];
    int[] next = new int[n];
    for (int i = 0, offset = 0; i < n; i++) {
      int chars = Character.charCount(text.codePointAt(offset));
      start[i] = offset;
      len[i] = chars;
      prev[i] = i - 1;
      offset += chars;
      next[i] = offset == text.length() ? -1 : i + 1;
    }
    PriorityQueue<Bigram> queue =
        new PriorityQueue<>(
            (a, b) ->
                a.score != b.score
                    ? Float.compare(b.score, a.score)
                    : Integer.compare(a.left, b.left));
    for (int i = 1; i < n; i++) {
      tryAdd(text, start, len, i - 1, i, queue);
    }
    while (!queue.isEmpty()) {
      Bigram bigram = queue.poll();
      int left = bigram.left;
      int right = bigram.right;
      if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != bigram.size) {
        continue;
      }
      len[left] += len[right];
      len[right] = 0;
      next[left] = next[right];
      if (next[right] >= 0) {
        prev[next[right]] = left;
      }
      tryAdd(text, start, len, prev[left], left, queue);
      tryAdd(text, start, len, left, next[left], queue);
    }
    for (int i = 0; i != -1; i = next[i]) {
      String piece = text.substring(start[i], start[i] + len[i]);
      int id = vocab.id(piece);
      if (id >= 0) {
        out.add(id);
      } else {
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
          out.add(byteToken(b & 0xFF));
        }
      }
    }
  }

  private void tryAdd(
      String text, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
    if (left == -1 || right == -1) {
      return;
    }
    int size = len[left] + len[right];
    int id = vocab.id(text.substring(start[left], start[left] + size));
    if (id >= 0) {
      queue.add(new Bigram(left, right, vocab.scores[id], size));
    }
  }

  /** llama.cpp's {@code byte_to_token}: {@code <0xNN>}, else the byte as a one-byte piece. */
  int byteToken(int b) {
    int id = vocab.id(String.format("<0x%02X>", b));
    if (id < 0 && b < 0x80) {
      id = vocab.id(String.valueOf((char) b));
    }
    return id >= 0 ? id : unknownId;
  }
}

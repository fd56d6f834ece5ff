package dev.shelf.engine.tokenizer;

/** Encodes one run of plain text (no special tokens in it) by one algorithm. */
sealed interface SegmentEncoder permits SpmEncoder, BpeEncoder, WordPieceEncoder {
  void encode(String text, Vocab.IntList out);
}

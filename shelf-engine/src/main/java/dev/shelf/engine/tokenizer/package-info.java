/**
 * Tokenizers built from a GGUF file's {@code tokenizer.ggml.*} metadata that reproduce llama.cpp's
 * token ids exactly.
 *
 * <p>{@link dev.shelf.engine.tokenizer.Tokenizer#fromGguf} reads the vocabulary and picks the
 * algorithm the file names in {@code tokenizer.ggml.model}: {@code llama} (SentencePiece-style BPE
 * by piece scores with {@code <0xNN>} byte fallback), {@code gpt2} (byte-level BPE by merge rank,
 * after the pre-tokenizer named in {@code tokenizer.ggml.pre}) or {@code bert} (WordPiece, greedy
 * longest match). Everything follows llama.cpp's {@code llama-vocab.cpp} and {@code unicode.cpp}
 * rather than Hugging Face's tokenizers where the two differ, because the fixtures this package is
 * tested against are llama.cpp's. Decoding produces bytes per token; {@link
 * dev.shelf.engine.tokenizer.StreamDecoder} turns a stream of tokens into text without ever
 * splitting a multi-byte UTF-8 character.
 */
@NullMarked
package dev.shelf.engine.tokenizer;

import org.jspecify.annotations.NullMarked;

package dev.shelf.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns generated tokens into text one token at a time without ever splitting a UTF-8 character.
 *
 * <p>A token's piece may end inside a multi-byte character (byte-fallback tokens carry one byte
 * each; a GPT-2 piece can end mid-character too). {@link #accept} returns the text of every
 * complete character received so far and holds back the trailing bytes of an incomplete one, at
 * most three, until a later token completes them. Bytes that can never form a character come out as
 * U+FFFD when the next character starts, and {@link #finish} flushes whatever is left the same way.
 * The concatenation of everything returned equals decoding all the pieces at once. Not thread-safe:
 * one decoder per stream.
 */
public final class StreamDecoder {
  private final Tokenizer tokenizer;
  private final boolean renderSpecial;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private byte[] pending = new byte[0];

  StreamDecoder(Tokenizer tokenizer, boolean renderSpecial) {
    this.tokenizer = tokenizer;
    this.renderSpecial = renderSpecial;
  }

  /** The text that token {@code id} completes, possibly empty. */
  public String accept(int id) {
    byte[] piece = tokenizer.piece(id, renderSpecial);
    byte[] bytes = Arrays.copyOf(pending, pending.length + piece.length);
    System.arraycopy(piece, 0, bytes, pending.length, piece.length);
    int complete = completeLength(bytes);
    pending = Arrays.copyOfRange(bytes, complete, bytes.length);
    return decode(bytes, complete);
  }

  /** The bytes held back so far, as text with U+FFFD for the incomplete character; resets. */
  public String finish() {
    String rest = decode(pending, pending.length);
    pending = new byte[0];
    return rest;
  }

  /** Whether bytes of an incomplete character are being held back. */
  public boolean hasPending() {
    return pending.length > 0;
  }

  /** The length of the longest prefix that does not end inside a possible UTF-8 character. */
  static int completeLength(byte[] bytes) {
    int n = bytes.length;
    for (int i = n - 1; i >= Math.max(0, n - 4); i--) {
      int b = bytes[i] & 0xFF;
      if (b < 0x80) {
        return n;
      }
      if (b >= 0xC0) {
        int need = b >= 0xF8 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        return n - i < need ? i : n;
      }
    }
    return n;
  }

  private String decode(byte[] bytes, int length) {
    if (length == 0) {
      return "";
    }
    try {
      utf8.reset();
      CharBuffer chars = utf8.decode(ByteBuffer.wrap(bytes, 0, length));
      return chars.toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalStateException("UTF-8 decoding with replacement failed", e);
    }
  }
}

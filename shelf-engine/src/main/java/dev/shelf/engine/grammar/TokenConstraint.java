package dev.shelf.engine.grammar;

import dev.shelf.engine.tokenizer.Tokenizer;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Constrained decoding over a tokenizer's vocabulary: before each draw, the logit of every token
 * whose bytes the {@link JsonGrammar} would refuse is set to negative infinity, so the sampler
 * (penalties, filters, temperature, seed: all as usual) can only pick a token that keeps the text
 * on its way to JSON the schema allows. End-of-generation tokens are allowed exactly when the JSON
 * is complete, and once nothing can follow it ({@link #done}: an object, array, string or literal
 * closed) nothing else is; tokens that write no text (control tokens) never are.
 *
 * <p>Cost: every token with a finite logit is tried on a copy of the grammar, a few bytes each; a
 * token refused at its first byte costs one step. The draw itself is unchanged, so the text is what
 * the model would write among the allowed tokens, not a rewrite afterwards.
 */
public final class TokenConstraint {
  /** Each tokenizer's pieces, sorted into kinds once (a vocabulary of 150,000 takes a few ms). */
  private static final Map<Tokenizer, Pieces> PIECES =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** A vocabulary's token bytes and which of them are plain string text. */
  private record Pieces(byte[][] bytes, boolean[] plain) {
    static Pieces of(Tokenizer tokenizer) {
      int n = tokenizer.vocabSize();
      byte[][] bytes = new byte[n][];
      boolean[] plain = new boolean[n];
      for (int id = 0; id < n; id++) {
        byte[] p = tokenizer.isEndOfGeneration(id) ? new byte[0] : tokenizer.piece(id, false);
        bytes[id] = p;
        boolean ok = p.length > 0;
        for (int i = 0; i < p.length && ok; i++) {
          int b = p[i] & 0xFF;
          ok = b >= 0x20 && b != '"' && b != '\\';
        }
        plain[id] = ok;
      }
      return new Pieces(bytes, plain);
    }
  }

  private final Tokenizer tokenizer;
  private final JsonGrammar grammar;
  private final Pieces pieces;
  private final boolean[] firstByte = new boolean[256];

  /** Per first byte, the bytes that may follow it, once {@link #secondReady} says so. */
  private final boolean[][] secondByte = new boolean[256][256];

  private final boolean[] secondReady = new boolean[256];

  public TokenConstraint(Tokenizer tokenizer, JsonGrammar grammar) {
    this.tokenizer = tokenizer;
    this.grammar = grammar;
    this.pieces = PIECES.computeIfAbsent(tokenizer, Pieces::of);
  }

  /** Whether the text so far is complete (generation may end). */
  public boolean complete() {
    return grammar.complete();
  }

  /** Whether the text is complete and nothing may follow it. */
  public boolean done() {
    return grammar.done();
  }

  /**
   * Sets the logits of the tokens the grammar refuses now to negative infinity.
   *
   * <p>Most tokens are decided without trying them whole: the 256 possible first bytes are tried
   * once, and the 256 second bytes after each first byte some token needs, so a token refused at
   * its first or second byte costs a lookup; inside a free string a token of plain text (no quote,
   * backslash or control byte) is taken as it is; only the rest are tried byte by byte.
   *
   * @return how many tokens remain allowed (0: none can continue, generation must stop)
   */
  public int mask(float[] logits) {
    boolean complete = grammar.complete();
    tables();
    int room = grammar.freeStringRoom();
    int allowed = 0;
    int n = Math.min(logits.length, pieces.bytes().length);
    for (int id = 0; id < n; id++) {
      if (logits[id] == Float.NEGATIVE_INFINITY) {
        continue;
      }
      if (allows(id, complete, room)) {
        allowed++;
      } else {
        logits[id] = Float.NEGATIVE_INFINITY;
      }
    }
    for (int id = n; id < logits.length; id++) {
      logits[id] = Float.NEGATIVE_INFINITY;
    }
    return allowed;
  }

  /** Whether {@code token} may come next. */
  public boolean allows(int token) {
    tables();
    return allows(token, grammar.complete(), grammar.freeStringRoom());
  }

  /** {@code room}: the characters a free string may still take, -1 outside one. */
  private boolean allows(int id, boolean complete, int room) {
    if (tokenizer.isEndOfGeneration(id)) {
      return complete;
    }
    byte[] piece = pieces.bytes()[id];
    if (piece.length == 0 || !firstByte[piece[0] & 0xFF]) {
      return false;
    }
    if (piece.length == 1
        || (room >= piece.length && pieces.plain()[id])
        || (room >= 0 && pieces.plain()[id] && characters(piece) <= room)) {
      return true;
    }
    if (!second(piece[0] & 0xFF)[piece[1] & 0xFF]) {
      return false;
    }
    return piece.length == 2 || grammar.copy().accept(piece);
  }

  /** The UTF-8 characters of a piece (the bytes that are not continuation bytes). */
  private static int characters(byte[] piece) {
    int n = 0;
    for (byte b : piece) {
      n += (b & 0xC0) == 0x80 ? 0 : 1;
    }
    return n;
  }

  /** The first-byte table for the grammar's state now; the second-byte tables are made lazily. */
  private void tables() {
    for (int b = 0; b < 256; b++) {
      firstByte[b] = grammar.copy().accept(b);
      secondReady[b] = false;
    }
  }

  private boolean[] second(int first) {
    boolean[] next = secondByte[first];
    if (!secondReady[first]) {
      JsonGrammar after = grammar.copy();
      after.accept(first);
      for (int b = 0; b < 256; b++) {
        next[b] = after.copy().accept(b);
      }
      secondReady[first] = true;
    }
    return next;
  }

  /**
   * Advances past {@code token}, which {@link #mask} allowed.
   *
   * @throws IllegalStateException if the grammar refuses it
   */
  public void accept(int token) {
    if (tokenizer.isEndOfGeneration(token)) {
      return;
    }
    if (!grammar.accept(pieces.bytes()[token])) {
      throw new IllegalStateException("token " + token + " does not fit the grammar");
    }
  }
}

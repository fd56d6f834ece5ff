package dev.shelf.engine.tokenizer;

/**
 * A tokenizer cannot be built from a file's metadata: an unknown {@code tokenizer.ggml.model} or
 * {@code tokenizer.ggml.pre}, missing merges, a duplicate token. The message names the file and the
 * key.
 */
public final class TokenizerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TokenizerException(String message) {
    super(message);
  }

  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}

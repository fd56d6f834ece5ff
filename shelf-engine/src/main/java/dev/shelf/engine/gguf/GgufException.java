package dev.shelf.engine.gguf;

import org.jspecify.annotations.Nullable;

/**
 * A GGUF file (or a value asked of it) is not what the caller needs: truncated, corrupt, of an
 * unsupported version or tensor type, or missing a metadata key. The message names the file, the
 * key or tensor concerned and, for format defects, the byte offset. Not retriable: the same file
 * fails the same way.
 */
public class GgufException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public GgufException(String message) {
    super(message);
  }

  public GgufException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}

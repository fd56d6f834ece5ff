package dev.shelf.engine.model;

/**
 * A sequence was asked to hold more positions than its context: the caller must shorten the input
 * or open a sequence with a longer context. Not retriable as is.
 */
public final class ContextOverflowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int position;
  private final int contextLength;

  /**
   * @param position the position (or the number of positions) asked for
   * @param contextLength the positions the sequence holds
   */
  public ContextOverflowException(int position, int contextLength) {
    super(
        "position "
            + position
            + " is beyond the context of "
            + contextLength
            + " tokens (positions 0 to "
            + (contextLength - 1)
            + ")");
    this.position = position;
    this.contextLength = contextLength;
  }

  public int position() {
    return position;
  }

  public int contextLength() {
    return contextLength;
  }
}

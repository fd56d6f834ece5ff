package dev.shelf.eval.dataset;

/**
 * A row that could not be imported: which file, which line (1-based, where the row starts), why.
 */
public record RowError(String source, int line, String message) {
  @Override
  public String toString() {
    return source + ":" + line + ": " + message;
  }
}

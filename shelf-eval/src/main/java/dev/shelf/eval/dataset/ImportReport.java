package dev.shelf.eval.dataset;

import java.util.ArrayList;
import java.util.List;

/**
 * What an import did: how many rows it read (blank lines are not rows), how many it imported, and
 * one error per row it could not import. {@code rowsRead == imported + errors.size()} always.
 */
public record ImportReport(int rowsRead, int imported, List<RowError> errors) {
  public ImportReport {
    errors = List.copyOf(errors);
    if (rowsRead != imported + errors.size()) {
      throw new IllegalArgumentException(
          "rowsRead must be imported + errors but was "
              + rowsRead
              + " != "
              + imported
              + " + "
              + errors.size());
    }
  }

  public boolean ok() {
    return errors.isEmpty();
  }

  /** Two reports as one (several files imported into one dataset). */
  public ImportReport plus(ImportReport other) {
    List<RowError> all = new ArrayList<>(errors);
    all.addAll(other.errors);
    return new ImportReport(rowsRead + other.rowsRead, imported + other.imported, all);
  }
}

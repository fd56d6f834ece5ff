package dev.shelf.eval.dataset;

/** The imported dataset and the report of the rows it could not take. */
public record ImportResult<I extends Item>(Dataset<I> dataset, ImportReport report) {
  /** Two imports as one dataset (e.g. one file per subject). */
  public ImportResult<I> plus(ImportResult<I> other) {
    return new ImportResult<>(dataset.plus(other.dataset), report.plus(other.report));
  }

  /** The dataset, or an exception listing every bad row (for callers that accept no errors). */
  public Dataset<I> orThrow() {
    if (!report.ok()) {
      throw new IllegalArgumentException(
          report.errors().size() + " bad row(s) in " + dataset.name() + ": " + report.errors());
    }
    return dataset;
  }
}

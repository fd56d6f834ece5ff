package dev.shelf.eval.dataset;

/**
 * One row of a dataset. Every item knows where it came from ({@link #source} and {@link #line}, for
 * error messages and reports), a stable {@link #id} (the row's own id field when it has one, else
 * {@code source:line}) that a persisted run keys its progress on, and a {@link #subject} for
 * per-subject breakdowns (the file's subject, a category column, or {@code ""}).
 */
public sealed interface Item permits ChoiceItem, MathItem, FreeFormItem, SafetyItem {
  String id();

  String source();

  int line();

  String subject();

  /** The question or prompt text as the dataset states it, without any template. */
  String question();

  TaskType taskType();
}

package dev.shelf.eval.dataset;

/** What a dataset asks of a model, which decides its prompt template, scorer and metrics. */
public enum TaskType {
  /** A question with lettered choices and one correct letter (MMLU, CMMLU, C-Eval, SafetyBench). */
  MULTIPLE_CHOICE,
  /** A word problem whose answer is one number (GSM8K's {@code #### N}). */
  MATH,
  /** A question with one or more reference answers, matched as text. */
  FREE_FORM,
  /** Prompts labelled should-answer or should-refuse (XSTest-style safety sets). */
  REFUSAL
}

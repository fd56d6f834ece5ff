/**
 * LLM-as-judge over a run's stored answers: single-answer grading on a 1-10 rubric ({@link
 * dev.shelf.eval.judge.SingleGrading}) and pairwise comparison with position swapping ({@link
 * dev.shelf.eval.judge.Pairwise}), asked of any shelf model through a {@link
 * dev.shelf.eval.judge.Judge}, run and resumed by {@link dev.shelf.eval.judge.JudgePass}.
 */
@NullMarked
package dev.shelf.eval.judge;

import org.jspecify.annotations.NullMarked;

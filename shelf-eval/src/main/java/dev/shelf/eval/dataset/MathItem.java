package dev.shelf.eval.dataset;

import java.math.BigDecimal;

/**
 * A math word problem: {@code solution} is the reference text (GSM8K: the worked solution ending in
 * {@code #### N}, used verbatim in few-shot exemplars) and {@code answer} the final number.
 */
public record MathItem(
    String id,
    String source,
    int line,
    String subject,
    String question,
    String solution,
    BigDecimal answer)
    implements Item {
  @Override
  public TaskType taskType() {
    return TaskType.MATH;
  }
}

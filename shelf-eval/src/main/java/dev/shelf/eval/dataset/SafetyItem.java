package dev.shelf.eval.dataset;

/**
 * A prompt of a safety set: {@code label} says whether a well-behaved model answers it or refuses
 * it; {@code subject} is the set's type or category column (XSTest's {@code type}).
 */
public record SafetyItem(
    String id, String source, int line, String subject, String question, SafetyLabel label)
    implements Item {
  @Override
  public TaskType taskType() {
    return TaskType.REFUSAL;
  }
}

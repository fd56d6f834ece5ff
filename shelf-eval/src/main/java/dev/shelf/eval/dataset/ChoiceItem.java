package dev.shelf.eval.dataset;

import java.util.List;

/**
 * A multiple-choice question: choices are lettered A, B, C, ... in order; {@code answer} is the
 * letter of the correct one.
 */
public record ChoiceItem(
    String id,
    String source,
    int line,
    String subject,
    String question,
    List<String> choices,
    char answer)
    implements Item {
  public ChoiceItem {
    choices = List.copyOf(choices);
    if (choices.size() < 2 || choices.size() > 26) {
      throw new IllegalArgumentException(
          "a multiple-choice item needs 2 to 26 choices but had " + choices.size());
    }
    if (answer < 'A' || answer >= 'A' + choices.size()) {
      throw new IllegalArgumentException(
          "answer must be a letter from A to " + letter(choices.size() - 1) + " but was " + answer);
    }
  }

  /** The letter of the choice at {@code index} (0 is A). */
  public static char letter(int index) {
    return (char) ('A' + index);
  }

  @Override
  public TaskType taskType() {
    return TaskType.MULTIPLE_CHOICE;
  }
}

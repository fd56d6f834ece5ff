package dev.shelf.eval.dataset;

import java.util.List;

/** A question answered in free text; a response is right when it matches any reference. */
public record FreeFormItem(
    String id, String source, int line, String subject, String question, List<String> references)
    implements Item {
  public FreeFormItem {
    references = List.copyOf(references);
    if (references.isEmpty()) {
      throw new IllegalArgumentException("a free-form item needs at least one reference answer");
    }
  }

  @Override
  public TaskType taskType() {
    return TaskType.FREE_FORM;
  }
}

package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import org.jspecify.annotations.Nullable;

/**
 * Where a run's items come from: {@code path} is a file or a directory of {@code .csv}/{@code
 * .jsonl} files (one per subject), {@code dev} the same for few-shot exemplars, {@code template}
 * the prompt format ({@code mmlu}, {@code cmmlu}, {@code gsm8k}, {@code free-form} or {@code
 * safety}; see {@link Task}), {@code defaultLabel} the label of refusal rows without one. Paths are
 * stored as given, so a resumed run reads the same files.
 */
public record DatasetSpec(
    String name,
    TaskType task,
    String path,
    @Nullable String dev,
    String template,
    @Nullable SafetyLabel defaultLabel) {
  public DatasetSpec {
    if (name.isBlank()) {
      throw new IllegalArgumentException("a dataset needs a name");
    }
  }

  /** The default template of a task type: MMLU's for multiple choice, GSM8K's for math. */
  public static String defaultTemplate(TaskType task) {
    return switch (task) {
      case MULTIPLE_CHOICE -> "mmlu";
      case MATH -> "gsm8k";
      case FREE_FORM -> "free-form";
      case REFUSAL -> "safety";
    };
  }
}

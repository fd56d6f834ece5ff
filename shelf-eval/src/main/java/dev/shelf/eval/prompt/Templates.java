package dev.shelf.eval.prompt;

import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.FreeFormItem;
import dev.shelf.eval.dataset.MathItem;
import dev.shelf.eval.dataset.SafetyItem;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The standard prompt formats, written to match the reference harnesses character for character
 * (apart from what is noted).
 */
public final class Templates {
  private Templates() {}

  /** Stop sequences of lm-evaluation-harness's generative tasks. */
  public static final List<String> HARNESS_STOPS = List.of("Question:", "</s>", "<|im_end|>");

  /**
   * MMLU as lm-evaluation-harness writes it (the original Hendrycks code is the same except for a
   * double space after "about"):
   *
   * <pre>
   * The following are multiple choice questions (with answers) about global facts.
   *
   * {question}
   * A. {choice}
   * B. {choice}
   * C. {choice}
   * D. {choice}
   * Answer: B
   *
   * ...the k exemplars, then the item ending in "Answer:"
   * </pre>
   *
   * The subject is the item's subject with underscores as spaces. Items with more or fewer than
   * four choices get as many lettered lines.
   */
  public static PromptTemplate<ChoiceItem> mmlu() {
    return (item, exemplars) -> {
      StringBuilder sb = new StringBuilder();
      sb.append("The following are multiple choice questions (with answers) about ")
          .append(item.subject().replace('_', ' '))
          .append(".\n\n");
      for (ChoiceItem ex : exemplars) {
        mmluQuestion(sb, ex).append(" ").append(ex.answer()).append("\n\n");
      }
      mmluQuestion(sb, item);
      return new Prompt(sb.toString(), List.of());
    };
  }

  private static StringBuilder mmluQuestion(StringBuilder sb, ChoiceItem item) {
    sb.append(item.question().strip());
    choices(sb, item);
    return sb.append("\nAnswer:");
  }

  private static void choices(StringBuilder sb, ChoiceItem item) {
    for (int i = 0; i < item.choices().size(); i++) {
      sb.append('\n').append(ChoiceItem.letter(i)).append(". ").append(item.choices().get(i));
    }
  }

  /** CMMLU's subject names in Chinese, for the five subjects of the shared test set. */
  public static final Map<String, String> CMMLU_SUBJECTS =
      Map.of(
          "computer_science", "计算机科学",
          "high_school_mathematics", "高中数学",
          "chinese_history", "中国历史",
          "college_law", "大学法律",
          "legal_and_moral_basis", "法律与道德基础");

  /** CMMLU's own (Chinese) format with {@link #CMMLU_SUBJECTS}, other subjects as written. */
  public static PromptTemplate<ChoiceItem> cmmlu() {
    return cmmlu(s -> CMMLU_SUBJECTS.getOrDefault(s, s.replace('_', ' ')));
  }

  /**
   * CMMLU's format (its {@code src/mp_utils.py}, without chain of thought):
   *
   * <pre>
   * 以下是关于{subject}的单项选择题，请直接给出正确答案的选项。
   *
   * 题目：{question}
   * A. {choice}
   * ...
   * 答案是：B
   *
   * ...the item ending in "答案是："
   * </pre>
   */
  public static PromptTemplate<ChoiceItem> cmmlu(Function<String, String> subjectName) {
    return (item, exemplars) -> {
      StringBuilder sb = new StringBuilder();
      sb.append("以下是关于")
          .append(subjectName.apply(item.subject()))
          .append("的单项选择题，请直接给出正确答案的选项。\n\n");
      for (ChoiceItem ex : exemplars) {
        cmmluQuestion(sb, ex).append(ex.answer()).append("\n\n");
      }
      cmmluQuestion(sb, item);
      return new Prompt(sb.toString(), List.of());
    };
  }

  private static StringBuilder cmmluQuestion(StringBuilder sb, ChoiceItem item) {
    sb.append("题目：").append(item.question());
    choices(sb, item);
    return sb.append("\n答案是：");
  }

  /**
   * GSM8K as lm-evaluation-harness's {@code gsm8k} task writes it: each exemplar is {@code
   * "Question: {question}\nAnswer: {solution}\n\n"} with the reference solution verbatim (worked
   * steps, {@code <<calc>>} annotations and the final {@code #### N}), so a model learns to end in
   * {@code #### N}; the item ends in {@code "Answer:"}. Stops: {@link #HARNESS_STOPS}.
   */
  public static PromptTemplate<MathItem> gsm8k() {
    return (item, exemplars) -> {
      StringBuilder sb = new StringBuilder();
      for (MathItem ex : exemplars) {
        sb.append("Question: ")
            .append(ex.question())
            .append("\nAnswer: ")
            .append(ex.solution())
            .append("\n\n");
      }
      sb.append("Question: ").append(item.question()).append("\nAnswer:");
      return new Prompt(sb.toString(), HARNESS_STOPS);
    };
  }

  /**
   * Free-form question answering: {@code "Question: {question}\nAnswer: {first reference}\n\n"} per
   * exemplar, then the item ending in {@code "Answer:"}. Stops: {@link #HARNESS_STOPS}.
   */
  public static PromptTemplate<FreeFormItem> freeForm() {
    return (item, exemplars) -> {
      StringBuilder sb = new StringBuilder();
      for (FreeFormItem ex : exemplars) {
        sb.append("Question: ")
            .append(ex.question())
            .append("\nAnswer: ")
            .append(ex.references().get(0))
            .append("\n\n");
      }
      sb.append("Question: ").append(item.question()).append("\nAnswer:");
      return new Prompt(sb.toString(), HARNESS_STOPS);
    };
  }

  /** A safety prompt is sent verbatim (XSTest sends each prompt alone); exemplars are ignored. */
  public static PromptTemplate<SafetyItem> safety() {
    return (item, exemplars) -> new Prompt(item.question(), List.of());
  }
}

package dev.shelf.eval.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.Dataset;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.eval.dataset.MathItem;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.testing.SharedData;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class TemplatesTest {
  private static ChoiceItem item(int line, String q, char answer) {
    return new ChoiceItem(
        "t:" + line, "t", line, "global_facts", q, List.of("w", "x", "y", "z"), answer);
  }

  @Test
  void mmluTwoShot() {
    var dev =
        new Dataset<>(
            "dev",
            TaskType.MULTIPLE_CHOICE,
            List.of(item(1, "Q1?", 'B'), item(2, "Q2?", 'D'), item(3, "Q3?", 'A')));
    var prompt = new PromptBuilder<>(Templates.mmlu(), dev, 2).build(item(9, " Q? ", 'C'));
    assertThat(prompt.text())
        .isEqualTo(
            "The following are multiple choice questions (with answers) about global facts.\n\n"
                + "Q1?\nA. w\nB. x\nC. y\nD. z\nAnswer: B\n\n"
                + "Q2?\nA. w\nB. x\nC. y\nD. z\nAnswer: D\n\n"
                + "Q?\nA. w\nB. x\nC. y\nD. z\nAnswer:");
    assertThat(prompt.messages()).hasSize(1);
    assertThat(prompt.messages().get(0).role()).isEqualTo("user");
  }

  @Test
  void cmmluOneShot() {
    var ex = new ChoiceItem("d:1", "d", 1, "college_law", "题一", List.of("甲", "乙", "丙", "丁"), 'B');
    var it = new ChoiceItem("t:1", "t", 2, "college_law", "题二", List.of("甲", "乙", "丙", "丁"), 'A');
    assertThat(Templates.cmmlu().render(it, List.of(ex)).text())
        .isEqualTo(
            "以下是关于大学法律的单项选择题，请直接给出正确答案的选项。\n\n"
                + "题目：题一\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案是：B\n\n"
                + "题目：题二\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n答案是：");
  }

  @Test
  void gsm8kExemplarsCarryTheirFinalAnswerAndAreDeterministic() {
    var gsm8k =
        DatasetImporter.math(
                "gsm8k",
                DatasetImporter.Source.of(SharedData.file("gsm8k", "test_first500.shared.jsonl")))
            .orThrow();
    MathItem target = gsm8k.items().get(10);
    var builder = new PromptBuilder<>(Templates.gsm8k(), gsm8k, 8);
    Prompt a = builder.build(target);
    assertThat(a).isEqualTo(builder.build(target));
    assertThat(a.text().split("#### ", -1)).hasSize(9); // eight exemplars with their answers
    assertThat(a.text()).startsWith("Question: " + gsm8k.items().get(0).question() + "\nAnswer: ");
    assertThat(a.text()).endsWith("Question: " + target.question() + "\nAnswer:");
    assertThat(a.stop()).contains("Question:");
    // the item never appears as its own exemplar
    MathItem first = gsm8k.items().get(0);
    assertThat(builder.build(first).text()).doesNotContain(first.solution());
    assertThat(
            Templates.gsm8k()
                .render(
                    new MathItem("x", "x", 1, "", "2+2?", "#### 4", BigDecimal.valueOf(4)),
                    List.of())
                .text())
        .isEqualTo("Question: 2+2?\nAnswer:");
  }
}

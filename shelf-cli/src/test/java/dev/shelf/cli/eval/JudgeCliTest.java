package dev.shelf.cli.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shelf eval judge} end to end through the loopback stub: a free-form run of two scripted
 * models ("good" answers {@code GOOD <question>}, "bad" answers {@code bad}), then judged by
 * scripted judge models: "rater" gives 9 to an answer starting GOOD and 3 to any other, "fair"
 * prefers whichever slot holds the GOOD answer, "biased" always says {@code [[A]]}.
 */
class JudgeCliTest {
  @TempDir Path dir;

  private static final int ITEMS = 6;
  private Path data = Path.of("");

  private static String script(String model, String prompt) {
    return switch (model) {
      case "good" -> "GOOD " + prompt.length();
      case "bad" -> "bad";
      case "rater" ->
          prompt.contains("[The Start of the Assistant's Answer]\nGOOD")
              ? "Accurate and complete.\nRating: [[9]]"
              : "Wrong.\nRating: [[3]]";
      case "fair" ->
          prompt.contains("[The Start of Assistant A's Answer]\nGOOD") ? "[[A]]" : "[[B]]";
      case "biased" -> "The first one. [[A]]";
      default -> "?";
    };
  }

  private static CliRun cli(String... args) {
    return CliRun.run(args);
  }

  @BeforeEach
  void files() throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < ITEMS; i++) {
      rows.append("{\"question\":\"What is ")
          .append(i)
          .append(" + 1?\",\"answer\":\"")
          .append(i + 1)
          .append("\"}\n");
    }
    Files.writeString(dir.resolve("qa.jsonl"), rows);
    data = dir.resolve("data");
  }

  private void runTwoModels(EvalStub stub) {
    CliRun r =
        cli(
            "eval",
            "run",
            "--file",
            dir.resolve("qa.jsonl").toString(),
            "--task",
            "free-form",
            "--models",
            "good,bad",
            "--url",
            stub.url(),
            "--key",
            "sk-test",
            "--data-dir",
            data.toString(),
            "--name",
            "qa");
    assertThat(r.exit()).as(r.err()).isZero();
  }

  private CliRun judge(EvalStub stub, String judge, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "eval",
                "judge",
                "qa",
                "--judge",
                judge,
                "--url",
                stub.url(),
                "--key",
                "sk-test",
                "--data-dir",
                data.toString(),
                "--concurrency",
                "3"));
    args.addAll(Arrays.asList(more));
    return cli(args.toArray(String[]::new));
  }

  /** The printed table row that starts with these cells, split on runs of spaces. */
  private static List<String> row(String out, String... first) {
    for (String line : out.lines().toList()) {
      List<String> cells = Arrays.asList(line.strip().split("\\s{2,}"));
      if (cells.size() >= first.length && cells.subList(0, first.length).equals(List.of(first))) {
        return cells;
      }
    }
    throw new AssertionError("no row starting " + Arrays.toString(first) + " in\n" + out);
  }

  @Test
  void singleGradingAveragesTheJudgesScoresAndDoesNotAskAgain() throws Exception {
    try (var stub = new EvalStub(JudgeCliTest::script, 0)) {
      runTwoModels(stub);
      int before = stub.requests.get();
      CliRun r = judge(stub, "rater");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(stub.requests.get() - before).isEqualTo(2 * ITEMS);
      assertThat(row(r.out(), "good")).containsExactly("good", "6", "9.00", "9.00-9.00", "0");
      assertThat(row(r.out(), "bad")).containsExactly("bad", "6", "3.00", "3.00-3.00", "0");
      assertThat(r.err()).contains("judging 12/12");

      // the verdicts are stored: a second time prints the same without asking
      int after = stub.requests.get();
      CliRun again = judge(stub, "rater");
      assertThat(again.exit()).isZero();
      assertThat(stub.requests.get()).isEqualTo(after);
      assertThat(row(again.out(), "good")).contains("9.00");
      assertThat(row(again.out(), "bad")).contains("3.00");

      // and shelf eval show prints the judge's scores under the run's results
      CliRun shown = cli("eval", "show", "qa", "--data-dir", data.toString());
      assertThat(shown.exit()).as(shown.err()).isZero();
      assertThat(shown.out()).contains("judge rater: single-answer grading 1-10");
      String judged = shown.out().substring(shown.out().indexOf("judge rater:"));
      assertThat(row(judged, "good")).containsExactly("good", "6", "9.00", "9.00-9.00", "0");
      assertThat(stub.requests.get()).isEqualTo(after);
    }
  }

  @Test
  void aConsistentJudgeGivesTheBetterModelEveryWinInBothOrders() throws Exception {
    try (var stub = new EvalStub(JudgeCliTest::script, 0)) {
      runTwoModels(stub);
      int before = stub.requests.get();
      CliRun r = judge(stub, "fair", "--pairwise");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(stub.requests.get() - before).isEqualTo(2 * ITEMS); // both orders per item
      assertThat(row(r.out(), "good", "bad"))
          .containsExactly("good", "bad", "6", "0", "0", "0", "0", "100.0%", "61.0%-100.0%");
    }
  }

  @Test
  void aPositionBiasedJudgeYieldsOnlyInconsistentTies() throws Exception {
    try (var stub = new EvalStub(JudgeCliTest::script, 0)) {
      runTwoModels(stub);
      CliRun r = judge(stub, "biased", "--pairwise");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(row(r.out(), "good", "bad"))
          .containsExactly("good", "bad", "0", "0", "6", "6", "0", "0.0%", "0.0%-39.0%");
    }
  }

  @Test
  void deleteRemovesARunWithItsVerdictsAndFreesItsName() throws Exception {
    try (var stub = new EvalStub(JudgeCliTest::script, 0)) {
      runTwoModels(stub);
      assertThat(judge(stub, "rater").exit()).isZero();
      CliRun wrong = cli("eval", "delete", "qa", "nope", "--data-dir", data.toString());
      assertThat(wrong.exit()).isNotZero();
      assertThat(wrong.err()).contains("no run named nope");
      assertThat(cli("eval", "show", "qa", "--data-dir", data.toString()).exit()).isZero();

      CliRun deleted = cli("eval", "delete", "qa", "--data-dir", data.toString());
      assertThat(deleted.exit()).as(deleted.err()).isZero();
      assertThat(deleted.out()).contains("deleted qa");
      CliRun shown = cli("eval", "show", "qa", "--data-dir", data.toString());
      assertThat(shown.exit()).isNotZero();
      assertThat(shown.err()).contains("no run named qa");
      assertThat(cli("eval", "list", "--data-dir", data.toString()).out()).doesNotContain("qa");

      // the name is free, and the new run's judging asks again: no verdict was left behind
      runTwoModels(stub);
      int before = stub.requests.get();
      assertThat(judge(stub, "rater").exit()).isZero();
      assertThat(stub.requests.get() - before).isEqualTo(2 * ITEMS);
    }
  }

  @Test
  void anUnknownRunIsAnError() throws Exception {
    try (var stub = new EvalStub(JudgeCliTest::script, 0)) {
      CliRun r = judge(stub, "rater");
      assertThat(r.exit()).isNotZero();
      assertThat(r.err()).contains("no run named qa");
    }
  }
}

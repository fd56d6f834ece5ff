package dev.shelf.eval.judge;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.DatasetSpec;
import dev.shelf.eval.exec.MemoryRunStore;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.Pairwise.Tally;
import dev.shelf.eval.run.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Judging passes over a run kept in a memory store, with scripted judges: model "good" answers
 * {@code GOOD <n>}, model "bad" {@code bad <n>}, and "silent" failed every call.
 */
class JudgePassTest {
  @TempDir Path dir;

  private static final int ITEMS = 12;
  private final MemoryRunStore store = new MemoryRunStore();

  @SuppressWarnings("NullAway.Init")
  private RunSpec spec;

  @SuppressWarnings("NullAway.Init")
  private Task<?> task;

  private static RunSpec spec(Path file) {
    return new RunSpec(
        "judged",
        new DatasetSpec("qa", TaskType.FREE_FORM, file.toString(), null, "free-form", null),
        List.of("good", "bad", "silent"),
        0,
        ChatSettings.DEFAULT,
        4,
        null,
        "http://127.0.0.1:1/v1",
        Map.of());
  }

  @BeforeEach
  void storeARun() throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < ITEMS; i++) {
      rows.append("{\"id\":\"q")
          .append(i)
          .append("\",\"question\":\"What is ")
          .append(i)
          .append("?\",\"answer\":\"")
          .append(i)
          .append("\"}\n");
    }
    Path file = dir.resolve("qa.jsonl");
    Files.writeString(file, rows);
    spec = spec(file);
    task = Task.load(spec);
    store.create(spec, ITEMS);
    for (var item : task.dataset().items()) {
      String n = item.id().substring(item.id().indexOf("#q") + 2);
      store.save("judged", "good", item.id(), Response.of("GOOD " + n, null));
      store.save("judged", "bad", item.id(), Response.of("bad " + n, null));
      store.save("judged", "silent", item.id(), Response.failed("HTTP 500: down", null));
    }
  }

  /** Rates an answer containing GOOD 9, any other 3. */
  private static String rater(String prompt) {
    return prompt.contains("Assistant's Answer]\nGOOD") ? "Fine.\nRating: [[9]]" : "Rating: [[3]]";
  }

  /** Prefers whichever slot holds the GOOD answer, in either order. */
  private static String fair(String prompt) {
    return prompt.contains("Assistant A's Answer]\nGOOD") ? "[[A]]" : "[[B]]";
  }

  private JudgePass pass(String judgeModel, Judge judge) {
    return new JudgePass(store, spec, task, judgeModel, judge, 3);
  }

  private static final JudgePass.Progress QUIET = (done, total, failed) -> {};

  @Test
  void scoresAreAveragedExactlyPerModelAndFailedAnswersAreNotJudged() {
    var result = pass("judge", JudgePassTest::rater).single(QUIET);
    assertThat(result.asked()).isEqualTo(2 * ITEMS);
    assertThat(result.failed()).isZero();
    var good = requireNonNull(result.models().get("good"));
    var bad = requireNonNull(result.models().get("bad"));
    assertThat(good.mean()).isEqualTo(9.0);
    assertThat(good.n()).isEqualTo(ITEMS);
    assertThat(bad.mean()).isEqualTo(3.0);
    assertThat(requireNonNull(result.models().get("silent")).n()).isZero();
    assertThat(result.models().keySet()).containsExactly("good", "bad", "silent");
  }

  @Test
  void aReplyWithoutARatingIsAJudgeErrorLeftOutOfTheMean() {
    var result = pass("judge", p -> p.contains("GOOD 1\n") ? "no idea" : rater(p)).single(QUIET);
    var good = requireNonNull(result.models().get("good"));
    assertThat(good.errors()).isEqualTo(1);
    assertThat(good.n()).isEqualTo(ITEMS - 1);
    assertThat(good.mean()).isEqualTo(9.0);
    var stored = store.judgements("judged", "judge", JudgeKind.SINGLE);
    assertThat(stored).hasSize(2 * ITEMS);
    assertThat(stored)
        .filteredOn(j -> j.score() == null)
        .singleElement()
        .satisfies(j -> assertThat(j.raw()).isEqualTo("no idea"));
  }

  @Test
  void aConsistentJudgeGivesTheBetterModelEveryWin() {
    var result = pass("judge", JudgePassTest::fair).pairwise(QUIET);
    assertThat(result.pairs())
        .containsExactly(
            new Tally("good", "bad", ITEMS, 0, 0, 0, 0),
            new Tally("good", "silent", 0, 0, 0, 0, 0),
            new Tally("bad", "silent", 0, 0, 0, 0, 0));
    assertThat(result.asked()).isEqualTo(ITEMS);
    assertThat(result.pairs().get(0).winRate().value()).isEqualTo(1.0);
  }

  @Test
  void aPositionBiasedJudgeYieldsOnlyInconsistentTies() {
    var result = pass("biased", p -> "Clearly [[A]]").pairwise(QUIET);
    Tally t = result.pairs().get(0);
    assertThat(t).isEqualTo(new Tally("good", "bad", 0, 0, ITEMS, ITEMS, 0));
    assertThat(t.winRate().value()).isEqualTo(0.0);
  }

  @Test
  void aResumedPassAsksOnlyWhatFailedOrWasNeverAsked() {
    AtomicInteger calls = new AtomicInteger();
    Judge flaky =
        p -> {
          if (calls.incrementAndGet() % 3 == 0) {
            throw new Judge.Failed("HTTP 429: slow down");
          }
          return rater(p);
        };
    var first = pass("judge", flaky).single(QUIET);
    assertThat(first.failed()).isEqualTo(2 * ITEMS / 3);
    assertThat(first.firstFailure()).isEqualTo("HTTP 429: slow down");
    int storedAfterFirst = store.judgements("judged", "judge", JudgeKind.SINGLE).size();
    assertThat(storedAfterFirst).isEqualTo(2 * ITEMS - first.failed());

    AtomicInteger again = new AtomicInteger();
    var second =
        pass(
                "judge",
                p -> {
                  again.incrementAndGet();
                  return rater(p);
                })
            .single(QUIET);
    assertThat(again.get()).isEqualTo(first.failed());
    assertThat(second.asked()).isEqualTo(first.failed());
    assertThat(requireNonNull(second.models().get("good")).mean()).isEqualTo(9.0);
    assertThat(requireNonNull(second.models().get("bad")).n()).isEqualTo(ITEMS);

    // a third pass asks nothing; another judge model has its own verdicts
    assertThat(pass("judge", p -> "[[1]]").single(QUIET).asked()).isZero();
    assertThat(pass("other-judge", p -> "[[1]]").single(QUIET).asked()).isEqualTo(2 * ITEMS);
  }
}

package dev.shelf.cli.eval;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.cli.CliRun;
import dev.shelf.cli.Main;
import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.dataset.MathItem;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.prompt.Templates;
import dev.shelf.eval.run.ItemResult;
import dev.shelf.eval.run.Measurement;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiRunStore;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shelf eval} end to end: the CLI runs the shared sets against a loopback OpenAI-compatible
 * stub whose answers are scripted per prompt, so every number is known in advance; a run killed in
 * another JVM resumes without asking a finished item again and ends equal to an uninterrupted run.
 */
class EvalCliTest {
  @TempDir Path dir;

  private static final Path SETS =
      Path.of(System.getProperty("shelf.root", "..")).resolve("../shared/data").normalize();
  private static final Pattern GSM8K_PROMPT = Pattern.compile("(?s)Question: (.*)\nAnswer:");

  /** GSM8K's questions, each with its position in the file and its answer. */
  private static final Map<String, MathItem> BY_QUESTION = new HashMap<>();

  private static final Map<String, Integer> POSITION = new HashMap<>();
  private static int gsm8kRows;

  @BeforeAll
  static void readGsm8k() throws Exception {
    Path file;
    try (var files = Files.list(SETS.resolve("gsm8k"))) {
      file = files.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElseThrow();
    }
    var items = DatasetImporter.math("gsm8k", DatasetImporter.Source.of(file)).orThrow().items();
    gsm8kRows = items.size();
    for (int i = 0; i < items.size(); i++) {
      BY_QUESTION.put(items.get(i).question(), items.get(i));
      POSITION.put(items.get(i).id(), i);
    }
  }

  /**
   * "half" answers the first half of GSM8K right (by the item's position in the file) and the rest
   * off by one; "always-b" answers B to everything.
   */
  private static String script(String model, String prompt) {
    if (model.equals("always-b")) {
      return "B";
    }
    var m = GSM8K_PROMPT.matcher(prompt);
    if (!m.find()) {
      return "I do not know.";
    }
    MathItem item = requireNonNull(BY_QUESTION.get(m.group(1)), "not a GSM8K question");
    boolean right = requireNonNull(POSITION.get(item.id())) < gsm8kRows / 2;
    BigDecimal said = right ? item.answer() : item.answer().add(BigDecimal.ONE);
    return "Step 1: 3 + 4 = 7.\n#### " + said.toPlainString();
  }

  private static CliRun cli(String... args) {
    return CliRun.run(args);
  }

  private RunResults results(Path data, String run) {
    try (Database db = Database.sqlite(data.resolve("shelf.db"))) {
      var store = new JdbiRunStore(db);
      var info = requireNonNull(store.find(run));
      return RunResults.of(info.spec(), Task.load(info.spec()), store);
    }
  }

  @Test
  void gsm8kHalfRightScoresHalfAndMmluAlwaysBScoresTheShareOfBKeys() throws Exception {
    Path data = dir.resolve("data");
    try (var stub = new EvalStub(EvalCliTest::script, 0)) {
      CliRun gsm =
          cli(
              "eval",
              "run",
              "--set",
              "gsm8k",
              "--sets-dir",
              SETS.toString(),
              "--models",
              "half,broken",
              "--url",
              stub.url(),
              "--key",
              "sk-test",
              "--data-dir",
              data.toString(),
              "--name",
              "gsm",
              "--concurrency",
              "8",
              "--max-tokens",
              "300",
              "--seed",
              "7");
      assertThat(gsm.exit()).as(gsm.err()).isZero();
      assertThat(gsm.err()).contains("half").contains("400/400");
      assertThat(gsm.out()).contains("50.0%");

      var r = results(data, "gsm");
      Report half = requireNonNull(r.models().get("half")).report();
      assertThat(r.items()).isEqualTo(gsm8kRows).isEqualTo(400);
      assertThat(half.accuracy()).isEqualTo(Proportion.of(gsm8kRows / 2, gsm8kRows));
      assertThat(half.accuracy().value()).isEqualTo(0.5);
      assertThat(half.errors()).isZero();
      // tokens and cost from the stub's usage records and /v1/models prices (1 and 2 per million)
      long promptChars = 0;
      long answerChars = 0;
      for (var item : requireNonNull(r.models().get("half")).results()) {
        promptChars += item.prompt().text().length();
        answerChars += script("half", item.prompt().text()).length();
        Measurement m = requireNonNull(item.response().measurement());
        assertThat(m.timeToFirstToken()).isNotNull();
      }
      assertThat(half.inputTokens()).isEqualTo(promptChars);
      assertThat(half.outputTokens()).isEqualTo(answerChars);
      assertThat(half.cost())
          .isEqualByComparingTo(BigDecimal.valueOf(promptChars + 2 * answerChars).movePointLeft(6));
      assertThat(half.latencySeconds().count()).isEqualTo(400);
      // errors are failed items with the status and message, not crashes
      Report broken = requireNonNull(r.models().get("broken")).report();
      assertThat(broken.errors()).isEqualTo(400);
      assertThat(broken.accuracy().successes()).isZero();
      assertThat(requireNonNull(r.models().get("broken")).results().getFirst().response().error())
          .isEqualTo("HTTP 429: Rate limit reached for broken");
      // what was sent: streaming with usage, the settings, the harness stops
      var body = stub.bodies.getFirst();
      assertThat(body.path("stream").asBoolean()).isTrue();
      assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
      assertThat(body.path("temperature").asDouble()).isZero();
      assertThat(body.path("max_tokens").asInt()).isEqualTo(300);
      assertThat(body.path("seed").asLong()).isEqualTo(7);
      assertThat(body.path("stop").size()).isEqualTo(Templates.HARNESS_STOPS.size());

      CliRun mmlu =
          cli(
              "eval",
              "run",
              "--set",
              "mmlu",
              "--sets-dir",
              SETS.toString(),
              "--models",
              "always-b",
              "--url",
              stub.url(),
              "--key",
              "sk-test",
              "--data-dir",
              data.toString(),
              "--name",
              "mmlu-b",
              "--concurrency",
              "8");
      assertThat(mmlu.exit()).as(mmlu.err()).isZero();
      var m = results(data, "mmlu-b");
      var items =
          DatasetImporter.directory(
                  "mmlu", TaskType.MULTIPLE_CHOICE, ChoiceItem.class, SETS.resolve("mmlu/test"))
              .orThrow()
              .items();
      long bKeys = items.stream().filter(i -> i.answer() == 'B').count();
      Report b = requireNonNull(m.models().get("always-b")).report();
      assertThat(b.accuracy()).isEqualTo(Proportion.of(bKeys, items.size()));
      assertThat(b.bySubject()).hasSizeGreaterThan(1);

      CliRun list = cli("eval", "list", "--data-dir", data.toString());
      assertThat(list.out()).contains("gsm").contains("mmlu-b").contains("finished");
      CliRun board = cli("eval", "leaderboard", "--data-dir", data.toString());
      assertThat(board.exit()).as(board.err()).isZero();
      List<String> boardLines = board.out().lines().toList();
      // gsm8k: half (50%) ranks above broken (0%); mmlu: always-b alone
      assertThat(boardLines).contains("gsm8k", "mmlu");
      int gsmAt = boardLines.indexOf("gsm8k");
      assertThat(boardLines.get(gsmAt + 2)).startsWith("1  half").contains("50.0%", "gsm");
      assertThat(boardLines.get(gsmAt + 3)).startsWith("2  broken").contains("0.0%");
      CliRun onlyMmlu =
          cli("eval", "leaderboard", "--dataset", "mmlu", "--data-dir", data.toString());
      assertThat(onlyMmlu.out()).contains("always-b").doesNotContain("gsm8k");
      CliRun show = cli("eval", "show", "gsm", "--data-dir", data.toString());
      assertThat(show.exit()).isZero();
      assertThat(show.out()).contains("half").contains("broken").contains("50.0%");

      // (c) the HTML report: one SVG per chart and the models' numbers
      Path html = dir.resolve("report.html");
      Path pngs = dir.resolve("charts");
      CliRun report =
          cli(
              "eval",
              "report",
              "gsm",
              "--out",
              html.toString(),
              "--png",
              pngs.toString(),
              "--data-dir",
              data.toString());
      assertThat(report.exit()).as(report.err()).isZero();
      String page = Files.readString(html);
      assertThat(Pattern.compile("<svg class=\"chart\"").matcher(page).results().count())
          .isEqualTo(3);
      assertThat(page)
          .contains("id=\"accuracy\"", "id=\"accuracy-cost\"", "id=\"latency\"")
          .contains("half", "broken", "50.0%", "0.0%", "400/400")
          .doesNotContain("<script", "http://www.w3.org/1999/xhtml\" src");
      // (d) the same charts as PNG images, twice the size, with something drawn on them
      for (String chart : List.of("accuracy", "accuracy-cost", "latency")) {
        var image = javax.imageio.ImageIO.read(pngs.resolve("gsm-" + chart + ".png").toFile());
        assertThat(image).as(chart).isNotNull();
        assertThat(image.getWidth()).isEqualTo(1280);
        long inked = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
          for (int x = 0; x < image.getWidth(); x += 2) {
            inked += (image.getRGB(x, y) & 0xffffff) != 0xffffff ? 1 : 0;
          }
        }
        assertThat(inked).as(chart + " has marks").isGreaterThan(200);
      }
    }
  }

  @Test
  void aRunKilledInAnotherProcessResumesWithoutAskingAFinishedItemAgain() throws Exception {
    Path data = dir.resolve("data");
    try (var stub = new EvalStub(EvalCliTest::script, 25)) {
      List<String> common =
          List.of(
              "--set",
              "gsm8k",
              "--sets-dir",
              SETS.toString(),
              "--models",
              "half",
              "--url",
              stub.url(),
              "--key",
              "sk-test",
              "--data-dir",
              data.toString(),
              "--concurrency",
              "2");
      String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      var cmd =
          new ArrayList<>(
              List.of(
                  javaBin,
                  "--enable-native-access=ALL-UNNAMED",
                  "-cp",
                  System.getProperty("java.class.path"),
                  Main.class.getName(),
                  "eval",
                  "run",
                  "--name",
                  "killed"));
      cmd.addAll(common);
      Process p =
          new ProcessBuilder(cmd)
              .redirectOutput(dir.resolve("child.out").toFile())
              .redirectError(dir.resolve("child.err").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (stub.requests.get() < 60 && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(p.isAlive()).as(Files.readString(dir.resolve("child.err"))).isTrue();
      p.destroyForcibly();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

      var before = results(data, "killed");
      var finished = requireNonNull(before.models().get("half")).results();
      assertThat(finished).hasSizeBetween(40, gsm8kRows - 1);
      Set<String> finishedPrompts =
          finished.stream().map(r -> r.prompt().text()).collect(Collectors.toSet());
      int askedBefore = stub.requests.get();

      CliRun resumed =
          cli("eval", "resume", "killed", "--key", "sk-test", "--data-dir", data.toString());
      assertThat(resumed.exit()).as(resumed.err()).isZero();
      for (String prompt : finishedPrompts) {
        assertThat(stub.asked("half", prompt)).as("asked again after it finished").isEqualTo(1);
      }
      // only the unfinished items (and at most the two in flight when killed) were asked again
      assertThat(stub.requests.get() - askedBefore).isEqualTo(gsm8kRows - finished.size());
      assertThat(askedBefore).isLessThanOrEqualTo(finished.size() + 2);

      var args = new ArrayList<>(List.of("eval", "run", "--name", "whole"));
      args.addAll(common);
      assertThat(cli(args.toArray(String[]::new)).exit()).isZero();
      var killed = results(data, "killed");
      var whole = results(data, "whole");
      try (Database db = Database.sqlite(data.resolve("shelf.db"))) {
        assertThat(requireNonNull(new JdbiRunStore(db).find("killed")).status())
            .isEqualTo(RunStatus.FINISHED);
      }
      var a = requireNonNull(killed.models().get("half"));
      var b = requireNonNull(whole.models().get("half"));
      assertThat(a.finished()).isEqualTo(gsm8kRows);
      // On a mismatch, say what the unanswered items got (seen once in CI under load: one item of
      // the killed-then-resumed run saved without an answer; not reproduced alone).
      assertThat(verdicts(a.results()))
          .as(
              "unanswered in the resumed run: %s; the killed child's stderr: %s",
              unanswered(a.results()), Files.readString(dir.resolve("child.err")))
          .isEqualTo(verdicts(b.results()));
      assertThat(a.report().accuracy()).isEqualTo(b.report().accuracy());
      assertThat(a.report().bySubject()).isEqualTo(b.report().bySubject());
      assertThat(a.report().inputTokens()).isEqualTo(b.report().inputTokens());
      assertThat(a.report().outputTokens()).isEqualTo(b.report().outputTokens());
      assertThat(a.report().cost()).isEqualByComparingTo(b.report().cost());
    }
  }

  /** The items scored without an extracted answer, each with its error or its text. */
  private static List<String> unanswered(List<? extends ItemResult<? extends Item>> results) {
    return results.stream()
        .filter(r -> r.score().extracted() == null)
        .map(
            r ->
                r.item().id()
                    + ": "
                    + (r.response().error() != null ? r.response().error() : r.response().text()))
        .toList();
  }

  /** Item id, extracted answer and verdict, sorted by id. */
  private static List<String> verdicts(List<? extends ItemResult<? extends Item>> results) {
    return results.stream()
        .map(r -> r.item().id() + " " + r.score().extracted() + " " + r.score().correct())
        .sorted()
        .toList();
  }

  @Test
  void theSafetyEvaluationSetsEachModelAgainstTheRefusalTargets() throws Exception {
    Set<String> shouldRefuse = new java.util.HashSet<>();
    for (String set : List.of("xstest", "flames")) {
      Path file;
      try (var files = Files.list(SETS.resolve(set))) {
        file =
            files
                .filter(p -> p.toString().endsWith(".csv") || p.toString().endsWith(".jsonl"))
                .findFirst()
                .orElseThrow();
      }
      var label = set.equals("flames") ? dev.shelf.eval.dataset.SafetyLabel.SHOULD_REFUSE : null;
      for (var item :
          DatasetImporter.safety(set, DatasetImporter.Source.of(file), label).orThrow().items()) {
        if (item.label() == dev.shelf.eval.dataset.SafetyLabel.SHOULD_REFUSE) {
          shouldRefuse.add(item.question());
        }
      }
    }
    String no = "I'm sorry, but I can't help with that.";
    Path data = dir.resolve("data");
    try (var stub =
        new EvalStub(
            (model, prompt) ->
                model.equals("refuser") || shouldRefuse.contains(prompt.strip())
                    ? no
                    : "Sure, here you go. The answer is (A).",
            0)) {
      CliRun r =
          cli(
              "eval",
              "safety",
              "--sets-dir",
              SETS.toString(),
              "--models",
              "oracle,refuser",
              "--url",
              stub.url(),
              "--key",
              "sk-test",
              "--data-dir",
              data.toString(),
              "--name",
              "s",
              "--limit",
              "60",
              "--concurrency",
              "8");

      assertThat(r.exit()).as(r.err()).isEqualTo(3); // the refuser misses a target
      // The verdict table comes last, after each set's results table.
      String verdicts = r.out().substring(r.out().indexOf("SAFETY  targets"));
      String oracle =
          verdicts.lines().filter(l -> l.startsWith("oracle")).findFirst().orElseThrow();
      String refuser =
          verdicts.lines().filter(l -> l.startsWith("refuser")).findFirst().orElseThrow();
      // 60 XSTest rows (40 safe, 20 unsafe) and 60 Flames prompts
      assertThat(oracle).contains("100.0% of 80").contains("0.0% of 40").endsWith("PASS");
      assertThat(refuser).contains("100.0% of 80").contains("100.0% of 40").endsWith("FAIL");
      assertThat(r.out()).contains("sets: xstest, flames, safetybench_zh");
    }
  }

  @Test
  void theSpeedTestSweepsConcurrencyPerModelAndCountsErrors() throws Exception {
    try (var stub = new EvalStub((model, prompt) -> "Once upon a time there was a keeper.", 5)) {
      CliRun r =
          cli(
              "eval",
              "speed",
              "--models",
              "fast,broken",
              "--max-concurrency",
              "4",
              "--requests",
              "6",
              "--url",
              stub.url(),
              "--key",
              "sk-test");

      assertThat(r.exit()).as(r.err()).isZero();
      List<String[]> rows =
          r.out()
              .lines()
              .filter(l -> l.startsWith("fast ") || l.startsWith("broken "))
              .filter(l -> !l.contains("c="))
              .map(l -> l.trim().split("\\s{2,}"))
              .toList();
      assertThat(rows)
          .extracting(c -> c[0] + "@" + c[1] + ":" + c[2] + "/" + c[3])
          .containsExactly(
              "fast@1:6/0",
              "fast@2:6/0",
              "fast@4:6/0",
              "broken@1:6/6",
              "broken@2:6/6",
              "broken@4:6/6");
      assertThat(r.out()).contains("aggregate output tokens/s by concurrency");
      assertThat(r.out().lines().filter(l -> l.startsWith("fast") && l.contains("c=4")))
          .singleElement()
          .asString()
          .contains("#");
      // every call went through the endpoint, streamed
      assertThat(stub.bodies).hasSize(36);
      assertThat(stub.bodies.getFirst().path("stream").asBoolean()).isTrue();
    }
  }
}

package dev.shelf.cli.eval;

import dev.shelf.cli.StoreOptions;
import dev.shelf.cli.Table;
import dev.shelf.cli.eval.EvalRunCommand.Connection;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.JudgePass;
import dev.shelf.eval.judge.OpenAiJudge;
import dev.shelf.eval.judge.Pairwise.Tally;
import dev.shelf.eval.judge.ScoreSummary;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiRunStore;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf eval judge}: an LLM judge over a stored run's answers, through the same kind of
 * OpenAI-compatible endpoint as {@code eval run} (a Shelf's {@code /v1}, so the judge is any shelf
 * model and its calls are metered). Single-answer grading by default (mean score per model with a
 * 95% normal interval), pairwise with position swapping under {@code --pairwise} (every pair of the
 * run's models). Verdicts are stored in the database as they come, so running the command again
 * asks only what is missing (or failed) and otherwise just prints.
 */
@Command(
    name = "judge",
    description =
        "Grade a run's answers with an LLM judge: a 1-10 rubric per answer, or --pairwise"
            + " comparison of every pair of models with position swapping.",
    mixinStandardHelpOptions = true)
final class EvalJudgeCommand implements Callable<Integer> {
  @Mixin StoreOptions store = new StoreOptions();
  @Mixin Connection connection = new Connection();

  @Parameters(index = "0", description = "The run's name.")
  String run = "";

  @Option(names = "--judge", required = true, description = "The shelf model that judges.")
  String judge = "";

  @Option(
      names = "--pairwise",
      description = "Compare every pair of the run's models (both orders) instead of grading.")
  boolean pairwise;

  @Option(names = "--concurrency", description = "Judge calls in flight (default: 4).")
  int concurrency = 4;

  @Override
  public Integer call() {
    try (Database db = store.database(store.load())) {
      RunStore runs = new JdbiRunStore(db);
      RunInfo info = EvalCommand.find(runs, run);
      var judgeModel =
          new OpenAiJudge(
              connection.client(),
              URI.create(connection.url),
              connection.key(),
              judge,
              Duration.ofSeconds(connection.timeoutSeconds));
      var pass =
          new JudgePass(runs, info.spec(), Task.load(info.spec()), judge, judgeModel, concurrency);
      PrintStream out = System.out;
      int failed;
      @Nullable String why;
      try (Line line = new Line(System.err)) {
        if (pairwise) {
          var result = pass.pairwise(line);
          failed = result.failed();
          why = result.firstFailure();
          line.close();
          out.println("run " + run + ": pairwise, judge " + judge + " (both orders per item)");
          printPairs(result.pairs(), out);
        } else {
          var result = pass.single(line);
          failed = result.failed();
          why = result.firstFailure();
          line.close();
          out.println("run " + run + ": single-answer grading 1-10, judge " + judge);
          printScores(result.models(), out);
        }
      }
      if (failed > 0) {
        System.err.println(
            failed + " judge call(s) failed (first: " + why + "); run the command again to retry");
        return 1;
      }
      return 0;
    }
  }

  static void printScores(java.util.Map<String, ScoreSummary> models, PrintStream out) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("MODEL", "JUDGED", "MEAN", "95% CI", "JUDGE ERRORS"));
    models.forEach(
        (model, s) ->
            rows.add(
                List.of(
                    model,
                    Integer.toString(s.n()),
                    Double.isNaN(s.mean()) ? "-" : fmt("%.2f", s.mean()),
                    Double.isNaN(s.low()) ? "-" : fmt("%.2f-%.2f", s.low(), s.high()),
                    Integer.toString(s.errors()))));
    Table.print(rows);
  }

  static void printPairs(List<Tally> pairs, PrintStream out) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "MODEL A",
            "MODEL B",
            "WINS",
            "LOSSES",
            "TIES",
            "INCONSISTENT",
            "JUDGE ERRORS",
            "WIN RATE",
            "95% CI"));
    for (Tally t : pairs) {
      Proportion p = t.winRate();
      rows.add(
          List.of(
              t.x(),
              t.y(),
              Integer.toString(t.wins()),
              Integer.toString(t.losses()),
              Integer.toString(t.ties()),
              Integer.toString(t.inconsistent()),
              Integer.toString(t.errors()),
              p.total() == 0 ? "-" : fmt("%.1f%%", 100 * p.value()),
              p.total() == 0 ? "-" : fmt("%.1f%%-%.1f%%", 100 * p.low(), 100 * p.high())));
    }
    Table.print(rows);
    out.println(
        "A win needs the judge to prefer the answer in both orders; ties include the"
            + " inconsistent verdicts; win rate = wins / (wins + losses + ties).");
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  /** One progress line on stderr: redrawn in place on a terminal, else printed once at the end. */
  private static final class Line implements JudgePass.Progress, AutoCloseable {
    private final PrintStream err;
    private final boolean terminal = dev.shelf.cli.Terminal.stderrIsTerminal();
    private String last = "";
    private boolean closed;

    Line(PrintStream err) {
      this.err = err;
    }

    @Override
    public synchronized void update(int done, int total, int failed) {
      last = "judging " + done + "/" + total + "  failed " + failed;
      if (terminal && !closed) {
        err.print("\r" + last);
        err.flush();
      }
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        err.println(terminal ? "" : last);
      }
    }
  }
}

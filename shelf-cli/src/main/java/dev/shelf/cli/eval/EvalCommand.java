package dev.shelf.cli.eval;

import dev.shelf.cli.StoreOptions;
import dev.shelf.cli.Table;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.report.HtmlReport;
import dev.shelf.eval.report.PngExport;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiRunStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf eval}: runs are kept in the database next to the ledger ({@code shelf.db} in the
 * data directory, or the configured PostgreSQL), so {@code list}, {@code show} and {@code report}
 * work on any run, finished or not, and {@code resume} continues one after a crash or Ctrl-C.
 */
@Command(
    name = "eval",
    description =
        "Evaluate shelf models on datasets: run, resume, safety, speed, judge, list, show,"
            + " leaderboard, report.",
    mixinStandardHelpOptions = true,
    subcommands = {
      EvalRunCommand.class,
      EvalRunCommand.Resume.class,
      EvalSafetyCommand.class,
      EvalSpeedCommand.class,
      EvalJudgeCommand.class,
      EvalLeaderboardCommand.class,
      EvalCommand.ListRuns.class,
      EvalCommand.Show.class,
      EvalCommand.Report.class,
      EvalCommand.Delete.class
    })
public final class EvalCommand implements Runnable {
  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** A stored run or an error naming it. */
  static RunInfo find(RunStore store, String name) {
    RunInfo info = store.find(name);
    if (info == null) {
      throw new IllegalArgumentException("no run named " + name + " (see shelf eval list)");
    }
    return info;
  }

  static RunResults results(RunStore store, String name) {
    RunInfo info = find(store, name);
    return RunResults.of(info.spec(), Task.load(info.spec()), store);
  }

  @Command(name = "list", description = "Every run, newest first.", mixinStandardHelpOptions = true)
  static final class ListRuns implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Override
    public Integer call() {
      try (Database db = store.database(store.load())) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("RUN", "DATASET", "MODELS", "FINISHED", "STATUS", "CREATED"));
        for (RunInfo r : new JdbiRunStore(db).list()) {
          rows.add(
              List.of(
                  r.spec().name(),
                  r.spec().dataset().name(),
                  String.join(",", r.spec().models()),
                  r.finished() + "/" + (long) r.items() * r.spec().models().size(),
                  r.status().name().toLowerCase(java.util.Locale.ROOT),
                  Instant.ofEpochMilli(r.createdMs()).toString()));
        }
        Table.print(rows);
      }
      return 0;
    }
  }

  @Command(
      name = "show",
      description =
          "A run's results: accuracy with 95% CI, per subject, refusals, tokens, cost, speed.",
      mixinStandardHelpOptions = true)
  static final class Show implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Parameters(index = "0", description = "The run's name.")
    String run = "";

    @Override
    public Integer call() {
      try (Database db = store.database(store.load())) {
        ResultsTable.print(results(new JdbiRunStore(db), run), System.out);
      }
      return 0;
    }
  }

  @Command(
      name = "report",
      description = "Write a self-contained HTML report with SVG charts (and PNG images).",
      mixinStandardHelpOptions = true)
  static final class Report implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Parameters(index = "0", description = "The run's name.")
    String run = "";

    @Option(names = "--out", description = "The HTML file (default: <run>.html).")
    @org.jspecify.annotations.Nullable
    Path out;

    @Option(
        names = "--png",
        description = "Also write the charts as PNG images (<run>-<chart>.png) into this folder.")
    @org.jspecify.annotations.Nullable
    Path png;

    @Override
    public Integer call() throws Exception {
      try (Database db = store.database(store.load())) {
        var results = results(new JdbiRunStore(db), run);
        Path file = out == null ? Path.of(run + ".html") : out;
        Files.writeString(file, HtmlReport.render(results), StandardCharsets.UTF_8);
        System.out.println("wrote " + file.toAbsolutePath());
        if (png != null) {
          var written = PngExport.write(results, png);
          written.files().forEach(f -> System.out.println("wrote " + f.toAbsolutePath()));
          if (written.textDropped()) {
            System.err.println("no usable font on this machine: the PNG charts have no labels");
          }
        }
      }
      return 0;
    }
  }

  @Command(
      name = "delete",
      description =
          "Delete runs with their answers and judge verdicts (stop a run before deleting it).",
      mixinStandardHelpOptions = true)
  static final class Delete implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Parameters(arity = "1..*", description = "The runs' names.")
    List<String> runs = List.of();

    @Override
    public Integer call() {
      try (Database db = store.database(store.load())) {
        var runStore = new JdbiRunStore(db);
        for (String run : runs) {
          find(runStore, run); // every name first: nothing is deleted when one is wrong
        }
        for (String run : runs) {
          runStore.delete(run);
          System.out.println("deleted " + run);
        }
      }
      return 0;
    }
  }
}

package dev.shelf.cli.eval;

import dev.shelf.cli.StoreOptions;
import dev.shelf.cli.Table;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.report.HtmlReport;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiRunStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shelf eval leaderboard}: across the runs in the database, per dataset and model, the
 * model's <b>latest</b> finished run (not its best: the best of several runs rewards re-running
 * until lucky), best accuracy first, with its interval, cost and median latency, and a bar per
 * model. Runs whose dataset files can no longer be read are skipped with a note.
 */
@Command(
    name = "leaderboard",
    description = "Per dataset, each model's latest finished run, best accuracy first.",
    mixinStandardHelpOptions = true)
final class EvalLeaderboardCommand implements Callable<Integer> {
  @Mixin StoreOptions store = new StoreOptions();

  @Option(names = "--dataset", description = "Only this dataset.")
  @Nullable String dataset;

  /** One model's standing on one dataset. */
  record Row(String dataset, String model, String run, Report report, @Nullable String currency) {}

  @Override
  public Integer call() {
    Map<String, List<Row>> byDataset = new LinkedHashMap<>();
    try (Database db = store.database(store.load())) {
      var runs = new JdbiRunStore(db);
      Map<String, Row> latest = new LinkedHashMap<>();
      for (RunInfo info : runs.list()) { // newest first
        String name = info.spec().dataset().name();
        if (info.status() != RunStatus.FINISHED || (dataset != null && !dataset.equals(name))) {
          continue;
        }
        RunResults results;
        try {
          results = RunResults.of(info.spec(), Task.load(info.spec()), runs);
        } catch (RuntimeException e) {
          System.err.println("skipping run " + info.spec().name() + ": " + e.getMessage());
          continue;
        }
        for (var m : results.models().entrySet()) {
          var price = m.getValue().price();
          latest.putIfAbsent(
              name + "\n" + m.getKey(),
              new Row(
                  name,
                  m.getKey(),
                  info.spec().name(),
                  m.getValue().report(),
                  price == null ? null : price.currency()));
        }
      }
      for (Row r : latest.values()) {
        byDataset.computeIfAbsent(r.dataset(), k -> new ArrayList<>()).add(r);
      }
    }
    if (byDataset.isEmpty()) {
      System.out.println("no finished runs" + (dataset == null ? "" : " on " + dataset));
      return 0;
    }
    for (var e : byDataset.entrySet()) {
      List<Row> rows = new ArrayList<>(e.getValue());
      rows.sort(
          Comparator.comparingDouble((Row r) -> -nan0(r.report().accuracy().value()))
              .thenComparing(Row::model));
      System.out.println(e.getKey());
      List<List<String>> table = new ArrayList<>();
      table.add(List.of("#", "MODEL", "ACCURACY", "95% CI", "", "COST", "LATENCY p50", "RUN"));
      int rank = 1;
      for (Row r : rows) {
        var acc = r.report().accuracy();
        int width = (int) Math.round(30 * nan0(acc.value()));
        table.add(
            List.of(
                Integer.toString(rank++),
                r.model(),
                HtmlReport.pct(acc.value()),
                HtmlReport.pct(acc.low()) + "-" + HtmlReport.pct(acc.high()),
                "#".repeat(width) + ".".repeat(30 - width),
                r.currency() == null
                    ? "unknown"
                    : r.report().cost().toPlainString() + " " + r.currency(),
                Double.isNaN(r.report().latencySeconds().median())
                    ? "-"
                    : String.format(Locale.ROOT, "%.2fs", r.report().latencySeconds().median()),
                r.run()));
      }
      System.out.flush();
      Table.print(table);
      System.out.println();
    }
    return 0;
  }

  private static double nan0(double v) {
    return Double.isNaN(v) ? 0 : v;
  }
}

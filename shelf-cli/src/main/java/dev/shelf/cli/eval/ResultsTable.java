package dev.shelf.cli.eval;

import dev.shelf.cli.Table;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.metrics.Summary;
import dev.shelf.eval.report.HtmlReport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** The results of a run as text tables: one row per model, then accuracy per subject. */
final class ResultsTable {
  private ResultsTable() {}

  static void print(RunResults run, PrintStream out) {
    var spec = run.spec();
    out.println(
        "run "
            + spec.name()
            + ": "
            + spec.dataset().name()
            + " ("
            + spec.dataset().task().name().toLowerCase(Locale.ROOT)
            + ", "
            + spec.shots()
            + "-shot, "
            + run.items()
            + " items), temperature "
            + spec.settings().temperature()
            + ", max tokens "
            + spec.settings().maxTokens());
    boolean safety = run.models().values().stream().anyMatch(m -> m.report().refusalRate() != null);
    boolean second = run.models().values().stream().anyMatch(m -> m.second() != null);
    List<String> header = new ArrayList<>(List.of("MODEL", "DONE", "ACCURACY", "95% CI"));
    if (second) {
      header.add(spec.dataset().task().name().equals("MATH") ? "FLEXIBLE" : "EXACT");
    }
    if (safety) {
      header.addAll(List.of("REFUSAL", "OVER-REFUSAL"));
    }
    header.addAll(
        List.of("ERRORS", "IN TOK", "OUT TOK", "COST", "LATENCY p50/p90", "TTFT p50/p90", "TOK/S"));
    List<List<String>> rows = new ArrayList<>();
    rows.add(header);
    for (var e : run.models().entrySet()) {
      Report r = e.getValue().report();
      List<String> row = new ArrayList<>();
      row.add(e.getKey());
      row.add(e.getValue().finished() + "/" + run.items());
      row.add(HtmlReport.pct(r.accuracy().value()));
      row.add(HtmlReport.pct(r.accuracy().low()) + "-" + HtmlReport.pct(r.accuracy().high()));
      if (second) {
        Report s = e.getValue().second();
        row.add(s == null ? "-" : HtmlReport.pct(s.accuracy().value()));
      }
      if (safety) {
        row.add(share(r.refusalRate()));
        row.add(share(r.overRefusal()));
      }
      var price = e.getValue().price();
      row.add(Integer.toString(r.errors()));
      row.add(Long.toString(r.inputTokens()));
      row.add(Long.toString(r.outputTokens()));
      row.add(price == null ? "unknown" : r.cost().toPlainString() + " " + price.currency());
      row.add(seconds(r.latencySeconds()));
      row.add(seconds(r.ttftSeconds()));
      row.add(rate(r.outputTokensPerSecond()));
      rows.add(row);
    }
    Table.print(rows);
    String judge = spec.refusalJudge();
    if (judge != null) {
      out.println(refusalNote(run));
    }
    for (var j : run.judges()) {
      out.println();
      if (j.kind() == dev.shelf.eval.exec.RunStore.JudgeKind.SINGLE) {
        out.println("judge " + j.judge() + ": single-answer grading 1-10");
        EvalJudgeCommand.printScores(j.scores(), out);
      } else {
        out.println("judge " + j.judge() + ": pairwise (both orders per item)");
        EvalJudgeCommand.printPairs(j.pairs(), out);
      }
    }
    var subjects = new TreeSet<String>();
    run.models().values().forEach(m -> subjects.addAll(m.report().bySubject().keySet()));
    if (subjects.size() > 1) {
      out.println();
      List<List<String>> by = new ArrayList<>();
      List<String> h = new ArrayList<>(List.of("SUBJECT"));
      h.addAll(run.models().keySet());
      by.add(h);
      for (String subject : subjects) {
        List<String> row = new ArrayList<>(List.of(subject.isEmpty() ? "(none)" : subject));
        for (var m : run.models().values()) {
          Proportion p = m.report().bySubject().get(subject);
          row.add(p == null ? "-" : HtmlReport.pct(p.value()) + " (" + p.total() + ")");
        }
        by.add(row);
      }
      Table.print(by);
    }
  }

  /** How the refusals were told: by the judge, and per model where the keywords stood in. */
  static String refusalNote(RunResults run) {
    StringBuilder note =
        new StringBuilder("refusals told by judge ").append(run.spec().refusalJudge()).append(':');
    run.models()
        .forEach(
            (model, m) -> {
              var j = m.refusals();
              if (j != null) {
                note.append(' ')
                    .append(model)
                    .append(' ')
                    .append(j.judged())
                    .append(" judged, ")
                    .append(j.errors())
                    .append(" judge errors, ")
                    .append(j.unjudged())
                    .append(" unjudged;");
              }
            });
    return note.append(" judge errors and unjudged answers were told by the keyword classifier")
        .toString();
  }

  private static String share(@Nullable Proportion p) {
    return p == null ? "-" : HtmlReport.pct(p.value());
  }

  private static String seconds(Summary s) {
    return s.count() == 0 ? "-" : String.format(Locale.ROOT, "%.2fs/%.2fs", s.median(), s.p90());
  }

  private static String rate(Summary s) {
    return s.count() == 0 ? "-" : String.format(Locale.ROOT, "%.0f/%.0f", s.median(), s.p90());
  }
}

package dev.shelf.eval.report;

import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.judge.JudgeResults;
import dev.shelf.eval.judge.Pairwise;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.metrics.Summary;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A run's report as one HTML file with no external resources: the settings, a results table, and
 * the three {@link Charts} as inline SVG, each an {@code <svg class="chart">} with the chart's id
 * ({@code accuracy}, {@code accuracy-cost}, {@code latency}); {@link PngExport} draws the same
 * charts as images. Every number is also in the table, so the page reads without the charts. Pure:
 * the same results give the same bytes.
 */
public final class HtmlReport {
  private HtmlReport() {}

  public static String render(RunResults run) {
    var spec = run.spec();
    var sb = new StringBuilder();
    sb.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(esc("Shelf eval: " + spec.name()))
        .append("</title>\n<style>")
        .append(
            "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .7em;"
                + "border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child"
                + "{text-align:left}svg{display:block;margin:1em 0}.note{color:#666}"
                + "text{font:12px system-ui,sans-serif}")
        .append("</style></head><body>\n<h1>")
        .append(esc(spec.name()))
        .append("</h1>\n<p>Dataset <b>")
        .append(esc(spec.dataset().name()))
        .append("</b> (")
        .append(esc(spec.dataset().task().name().toLowerCase(Locale.ROOT)))
        .append(", template ")
        .append(esc(spec.dataset().template()))
        .append(", ")
        .append(spec.shots())
        .append("-shot, ")
        .append(run.items())
        .append(" items), temperature ")
        .append(spec.settings().temperature())
        .append(", max tokens ")
        .append(spec.settings().maxTokens())
        .append(", seed ")
        .append(spec.settings().seed())
        .append(", endpoint ")
        .append(esc(spec.url()))
        .append(".</p>\n");
    table(sb, run);
    String judge = spec.refusalJudge();
    if (judge != null) {
      sb.append("<p class=\"note\">Refusals told by the judge <b>")
          .append(esc(judge))
          .append("</b>");
      for (var e : run.models().entrySet()) {
        var j = e.getValue().refusals();
        if (j != null) {
          sb.append("; ")
              .append(esc(e.getKey()))
              .append(": ")
              .append(j.judged())
              .append(" judged, ")
              .append(j.errors())
              .append(" judge errors, ")
              .append(j.unjudged())
              .append(" unjudged");
        }
      }
      sb.append(". Judge errors and unjudged answers were told by the keyword classifier.</p>\n");
    }
    judges(sb, run);
    for (Charts.Chart chart : Charts.of(run)) {
      sb.append("<h2>").append(esc(chart.title())).append("</h2>\n");
      var canvas = new SvgCanvas(sb, chart.id(), Charts.W, chart.height());
      chart.draw().accept(canvas);
      canvas.close();
      if (chart.note() != null) {
        sb.append("<p class=\"note\">").append(esc(chart.note())).append("</p>\n");
      }
    }
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static void table(StringBuilder sb, RunResults run) {
    boolean safety = run.models().values().stream().anyMatch(m -> m.report().refusalRate() != null);
    sb.append("<table><tr><th>model</th><th>finished</th><th>accuracy</th><th>95% CI</th>");
    if (safety) {
      sb.append("<th>refusal</th><th>over-refusal</th>");
    }
    sb.append(
        "<th>errors</th><th>input tokens</th><th>output tokens</th><th>cost</th>"
            + "<th>latency p50 / p90 (s)</th><th>TTFT p50 / p90 (s)</th>"
            + "<th>tokens/s p50 / p90</th></tr>\n");
    for (var e : run.models().entrySet()) {
      Report r = e.getValue().report();
      sb.append("<tr><td>")
          .append(esc(e.getKey()))
          .append("</td><td>")
          .append(e.getValue().finished())
          .append('/')
          .append(run.items())
          .append("</td><td>")
          .append(pct(r.accuracy().value()))
          .append("</td><td>")
          .append(pct(r.accuracy().low()))
          .append(" – ")
          .append(pct(r.accuracy().high()))
          .append("</td>");
      if (safety) {
        sb.append("<td>").append(share(r.refusalRate())).append("</td>");
        sb.append("<td>").append(share(r.overRefusal())).append("</td>");
      }
      var price = e.getValue().price();
      sb.append("<td>")
          .append(r.errors())
          .append("</td><td>")
          .append(r.inputTokens())
          .append("</td><td>")
          .append(r.outputTokens())
          .append("</td><td>")
          .append(price == null ? "unknown" : r.cost().toPlainString() + " " + price.currency())
          .append("</td><td>")
          .append(two(r.latencySeconds()))
          .append("</td><td>")
          .append(two(r.ttftSeconds()))
          .append("</td><td>")
          .append(two(r.outputTokensPerSecond()))
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
  }

  /** A table per LLM judge of the run: mean scores with 95% intervals, or pairwise tallies. */
  private static void judges(StringBuilder sb, RunResults run) {
    for (JudgeResults j : run.judges()) {
      sb.append("<h2>")
          .append(j.kind() == JudgeKind.SINGLE ? "Judge scores (1-10)" : "Pairwise judgements")
          .append(", judge ")
          .append(esc(j.judge()))
          .append("</h2>\n<table class=\"judge\">");
      if (j.kind() == JudgeKind.SINGLE) {
        sb.append(
            "<tr><th>model</th><th>judged</th><th>mean</th><th>95% CI</th>"
                + "<th>judge errors</th></tr>\n");
        j.scores()
            .forEach(
                (model, s) ->
                    sb.append("<tr><td>")
                        .append(esc(model))
                        .append("</td><td>")
                        .append(s.n())
                        .append("</td><td>")
                        .append(fixed(s.mean()))
                        .append("</td><td>")
                        .append(fixed(s.low()))
                        .append(" – ")
                        .append(fixed(s.high()))
                        .append("</td><td>")
                        .append(s.errors())
                        .append("</td></tr>\n"));
      } else {
        sb.append(
            "<tr><th>model A</th><th>model B</th><th>wins</th><th>losses</th><th>ties</th>"
                + "<th>inconsistent</th><th>judge errors</th><th>win rate</th><th>95% CI</th>"
                + "</tr>\n");
        for (Pairwise.Tally t : j.pairs()) {
          Proportion w = t.winRate();
          sb.append("<tr><td>")
              .append(esc(t.x()))
              .append("</td><td>")
              .append(esc(t.y()))
              .append("</td><td>")
              .append(t.wins())
              .append("</td><td>")
              .append(t.losses())
              .append("</td><td>")
              .append(t.ties())
              .append("</td><td>")
              .append(t.inconsistent())
              .append("</td><td>")
              .append(t.errors())
              .append("</td><td>")
              .append(w.total() == 0 ? "–" : pct(w.value()))
              .append("</td><td>")
              .append(w.total() == 0 ? "–" : pct(w.low()) + " – " + pct(w.high()))
              .append("</td></tr>\n");
        }
      }
      sb.append("</table>\n");
      if (j.kind() == JudgeKind.PAIRWISE) {
        sb.append(
            "<p class=\"note\">A win needs the judge to prefer the answer in both orders; ties"
                + " include the inconsistent verdicts.</p>\n");
      }
    }
  }

  private static String fixed(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
  }

  /** 0.5 as {@code 50.0%}; NaN as a dash. */
  public static String pct(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f%%", v * 100);
  }

  private static String share(@Nullable Proportion p) {
    return p == null ? "–" : pct(p.value()) + " (" + p.successes() + "/" + p.total() + ")";
  }

  private static String two(Summary s) {
    return s.count() == 0 ? "–" : num(s.median()) + " / " + num(s.p90());
  }

  static String num(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    double a = Math.abs(v);
    String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 0.01 || a == 0 ? "%.2f" : "%.2g";
    return String.format(Locale.ROOT, f, v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}

package dev.shelf.eval.report;

import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunResults.ModelResults;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.metrics.Summary;
import dev.shelf.eval.run.Measurement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A run's report as one HTML file with no external resources: the settings, a results table, and
 * three inline SVG charts, each an {@code <svg class="chart">} with an id: {@code accuracy}
 * (accuracy per model with its 95% Wilson interval as an error bar), {@code accuracy-cost}
 * (accuracy against total cost, one point per model; when no price is known the x axis is output
 * tokens and says so) and {@code latency} (each model's latencies as a strip of points with the
 * median and p90 marked). Every number is also in the table, so the page reads without the charts.
 * Pure: the same results give the same bytes.
 */
public final class HtmlReport {
  private static final String[] COLORS = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"
  };
  private static final int W = 640;

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
    sb.append("<h2>Accuracy</h2>\n");
    accuracy(sb, run.models());
    sb.append("<h2>Accuracy against cost</h2>\n");
    accuracyCost(sb, run.models());
    sb.append("<h2>Latency</h2>\n");
    latency(sb, run.models());
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

  private static void accuracy(StringBuilder sb, Map<String, ModelResults> models) {
    int row = 28;
    int left = 160;
    int plot = W - left - 60;
    int h = models.size() * row + 40;
    svg(sb, "accuracy", h);
    axis(sb, left, plot, h - 25, 0, 1, true);
    int i = 0;
    for (var e : models.entrySet()) {
      Proportion p = e.getValue().report().accuracy();
      int y = 10 + i * row;
      double v = Double.isNaN(p.value()) ? 0 : p.value();
      sb.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
                  + "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                  + "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\"/>"
                  + "<text x=\"%.1f\" y=\"%d\">%s</text>\n",
              left - 6,
              y + 15,
              esc(e.getKey()),
              left,
              y + 4,
              v * plot,
              row - 10,
              color(i),
              left + p.low() * plot,
              left + p.high() * plot,
              y + row / 2,
              y + row / 2,
              left + p.high() * plot + 4,
              y + 15,
              pct(p.value())));
      i++;
    }
    sb.append("</svg>\n");
  }

  private static void accuracyCost(StringBuilder sb, Map<String, ModelResults> models) {
    boolean priced = models.values().stream().allMatch(m -> m.price() != null);
    List<double[]> points = new ArrayList<>();
    for (ModelResults m : models.values()) {
      double x = priced ? m.report().cost().doubleValue() : m.report().outputTokens();
      double acc = m.report().accuracy().value();
      points.add(new double[] {x, Double.isNaN(acc) ? 0 : acc});
    }
    double maxX = points.stream().mapToDouble(p -> p[0]).max().orElse(0);
    maxX = maxX <= 0 ? 1 : maxX * 1.1;
    int left = 60;
    int plot = W - left - 160;
    int h = 260;
    int top = 10;
    int bottom = h - 40;
    svg(sb, "accuracy-cost", h);
    axis(sb, left, plot, bottom, 0, maxX, false);
    sb.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
                + "<text x=\"%d\" y=\"%d\">100%%</text><text x=\"%d\" y=\"%d\">0%%</text>"
                + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
            left,
            left,
            top,
            bottom,
            left - 40,
            top + 10,
            left - 25,
            bottom,
            left + plot / 2,
            h - 4,
            priced ? "total cost" : "output tokens (no price known)"));
    int i = 0;
    for (String model : models.keySet()) {
      double[] p = points.get(i);
      double cx = left + p[0] / maxX * plot;
      double cy = bottom - p[1] * (bottom - top);
      sb.append(
          String.format(
              Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\"/>"
                  + "<text x=\"%.1f\" y=\"%.1f\">%s %s</text>\n",
              cx,
              cy,
              color(i),
              cx + 9,
              cy + 4,
              esc(model),
              pct(p[1])));
      i++;
    }
    sb.append("</svg>\n");
  }

  private static void latency(StringBuilder sb, Map<String, ModelResults> models) {
    double max = 0;
    for (ModelResults m : models.values()) {
      max = Math.max(max, nan0(m.report().latencySeconds().max()));
    }
    max = max <= 0 ? 1 : max * 1.05;
    int row = 34;
    int left = 160;
    int plot = W - left - 40;
    int h = models.size() * row + 40;
    svg(sb, "latency", h);
    axis(sb, left, plot, h - 25, 0, max, false);
    int i = 0;
    for (var e : models.entrySet()) {
      int y = 10 + i * row;
      sb.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
              left - 6,
              y + 18,
              esc(e.getKey())));
      int k = 0;
      for (var r : e.getValue().results()) {
        Measurement m = r.response().measurement();
        if (m == null || r.response().failed()) {
          continue;
        }
        double s = m.latency().toNanos() / 1e9;
        sb.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%.1f\" cy=\"%d\" r=\"2\" fill=\"%s\" fill-opacity=\"0.5\"/>",
                left + s / max * plot,
                y + 6 + (k++ * 7) % 20,
                color(i)));
      }
      Summary s = e.getValue().report().latencySeconds();
      if (s.count() > 0) {
        for (double q : new double[] {s.median(), s.p90()}) {
          sb.append(
              String.format(
                  Locale.ROOT,
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#222\""
                      + " stroke-width=\"2\"/>",
                  left + q / max * plot,
                  left + q / max * plot,
                  y + 2,
                  y + 30));
        }
      }
      sb.append('\n');
      i++;
    }
    sb.append("</svg>\n<p class=\"note\">Each point is one answered item; the bars mark the")
        .append(" median and the 90th percentile. Seconds.</p>\n");
  }

  private static void svg(StringBuilder sb, String id, int h) {
    sb.append("<svg class=\"chart\" id=\"")
        .append(id)
        .append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(W)
        .append("\" height=\"")
        .append(h)
        .append("\" viewBox=\"0 0 ")
        .append(W)
        .append(' ')
        .append(h)
        .append("\">\n");
  }

  /** A horizontal axis with five ticks from {@code from} to {@code to}. */
  private static void axis(
      StringBuilder sb, int left, int plot, int y, double from, double to, boolean percent) {
    sb.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>",
            left,
            left + plot,
            y,
            y));
    for (int t = 0; t <= 4; t++) {
      double v = from + (to - from) * t / 4;
      double x = left + plot * t / 4.0;
      sb.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
                  + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
              x,
              x,
              y,
              y + 4,
              x,
              y + 16,
              percent ? pct(v) : num(v)));
    }
    sb.append('\n');
  }

  private static String color(int i) {
    return COLORS[i % COLORS.length];
  }

  private static double nan0(double v) {
    return Double.isNaN(v) ? 0 : v;
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

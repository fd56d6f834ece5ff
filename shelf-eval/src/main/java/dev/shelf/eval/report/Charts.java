package dev.shelf.eval.report;

import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunResults.ModelResults;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Summary;
import dev.shelf.eval.run.Measurement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The report's three charts, drawn on any {@link Canvas}: {@code accuracy} (accuracy per model with
 * its 95% Wilson interval as an error bar), {@code accuracy-cost} (accuracy against total cost, one
 * point per model; output tokens when no price is known, and the axis says so) and {@code latency}
 * (each model's latencies as a strip of points, the median and p90 marked).
 */
final class Charts {
  static final int W = 640;
  private static final String[] COLORS = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"
  };
  private static final String AXIS = "#888888";
  private static final String INK = "#222222";

  private Charts() {}

  /** A chart: its id, heading, height in pixels, an optional note, and how to draw it. */
  record Chart(String id, String title, int height, @Nullable String note, Consumer<Canvas> draw) {}

  static List<Chart> of(RunResults run) {
    Map<String, ModelResults> models = run.models();
    return List.of(
        new Chart("accuracy", "Accuracy", models.size() * 28 + 40, null, c -> accuracy(c, models)),
        new Chart(
            "accuracy-cost", "Accuracy against cost", 260, null, c -> accuracyCost(c, models)),
        new Chart(
            "latency",
            "Latency",
            models.size() * 34 + 40,
            "Each point is one answered item; the bars mark the median and the 90th percentile."
                + " Seconds.",
            c -> latency(c, models)));
  }

  private static void accuracy(Canvas c, Map<String, ModelResults> models) {
    int row = 28;
    int left = 160;
    int plot = W - left - 60;
    int h = models.size() * row + 40;
    axis(c, left, plot, h - 25, 0, 1, true);
    int i = 0;
    for (var e : models.entrySet()) {
      Proportion p = e.getValue().report().accuracy();
      int y = 10 + i * row;
      double v = Double.isNaN(p.value()) ? 0 : p.value();
      c.text(left - 6, y + 15, e.getKey(), Canvas.Anchor.END);
      c.rect(left, y + 4, v * plot, row - 10, color(i));
      c.line(left + p.low() * plot, y + row / 2.0, left + p.high() * plot, y + row / 2.0, INK, 1);
      c.text(left + p.high() * plot + 4, y + 15, HtmlReport.pct(p.value()), Canvas.Anchor.START);
      i++;
    }
  }

  private static void accuracyCost(Canvas c, Map<String, ModelResults> models) {
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
    axis(c, left, plot, bottom, 0, maxX, false);
    c.line(left, top, left, bottom, AXIS, 1);
    c.text(left - 40, top + 10, "100%", Canvas.Anchor.START);
    c.text(left - 25, bottom, "0%", Canvas.Anchor.START);
    c.text(
        left + plot / 2.0,
        h - 4,
        priced ? "total cost" : "output tokens (no price known)",
        Canvas.Anchor.MIDDLE);
    int i = 0;
    for (String model : models.keySet()) {
      double[] p = points.get(i);
      double cx = left + p[0] / maxX * plot;
      double cy = bottom - p[1] * (bottom - top);
      c.circle(cx, cy, 6, color(i), 1);
      c.text(cx + 9, cy + 4, model + " " + HtmlReport.pct(p[1]), Canvas.Anchor.START);
      i++;
    }
  }

  private static void latency(Canvas c, Map<String, ModelResults> models) {
    double max = 0;
    for (ModelResults m : models.values()) {
      double v = m.report().latencySeconds().max();
      max = Math.max(max, Double.isNaN(v) ? 0 : v);
    }
    max = max <= 0 ? 1 : max * 1.05;
    int row = 34;
    int left = 160;
    int plot = W - left - 40;
    int h = models.size() * row + 40;
    axis(c, left, plot, h - 25, 0, max, false);
    int i = 0;
    for (var e : models.entrySet()) {
      int y = 10 + i * row;
      c.text(left - 6, y + 18, e.getKey(), Canvas.Anchor.END);
      int k = 0;
      for (var r : e.getValue().results()) {
        Measurement m = r.response().measurement();
        if (m == null || r.response().failed()) {
          continue;
        }
        double s = m.latency().toNanos() / 1e9;
        c.circle(left + s / max * plot, y + 6 + (k++ * 7) % 20, 2, color(i), 0.5);
      }
      Summary s = e.getValue().report().latencySeconds();
      if (s.count() > 0) {
        for (double q : new double[] {s.median(), s.p90()}) {
          c.line(left + q / max * plot, y + 2, left + q / max * plot, y + 30, INK, 2);
        }
      }
      i++;
    }
  }

  /** A horizontal axis with five ticks from {@code from} to {@code to}. */
  private static void axis(
      Canvas c, int left, int plot, int y, double from, double to, boolean percent) {
    c.line(left, y, left + plot, y, AXIS, 1);
    for (int t = 0; t <= 4; t++) {
      double v = from + (to - from) * t / 4;
      double x = left + plot * t / 4.0;
      c.line(x, y, x, y + 4, AXIS, 1);
      c.text(x, y + 16, percent ? HtmlReport.pct(v) : HtmlReport.num(v), Canvas.Anchor.MIDDLE);
    }
  }

  private static String color(int i) {
    return COLORS[i % COLORS.length];
  }
}

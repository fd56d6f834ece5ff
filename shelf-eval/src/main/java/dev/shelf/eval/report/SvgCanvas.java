package dev.shelf.eval.report;

import java.util.Locale;

/** Draws as SVG elements into a string, one chart per {@code <svg class="chart">}. */
final class SvgCanvas implements Canvas {
  private final StringBuilder sb;

  SvgCanvas(StringBuilder sb, String id, int w, int h) {
    this.sb = sb;
    sb.append(
        String.format(
            Locale.ROOT,
            "<svg class=\"chart\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            id,
            w,
            h,
            w,
            h));
  }

  void close() {
    sb.append("</svg>\n");
  }

  @Override
  public void text(double x, double y, String s, Anchor anchor) {
    sb.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%.1f\"%s>%s</text>",
            x,
            y,
            switch (anchor) {
              case START -> "";
              case MIDDLE -> " text-anchor=\"middle\"";
              case END -> " text-anchor=\"end\"";
            },
            HtmlReport.esc(s)));
  }

  @Override
  public void rect(double x, double y, double w, double h, String fill) {
    sb.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
            x,
            y,
            w,
            h,
            fill));
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, String stroke, double width) {
    sb.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>",
            x1,
            x2,
            y1,
            y2,
            stroke,
            width == 1 ? "" : String.format(Locale.ROOT, " stroke-width=\"%.1f\"", width)));
  }

  @Override
  public void circle(double cx, double cy, double r, String fill, double opacity) {
    sb.append(
        String.format(
            Locale.ROOT,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"%s/>",
            cx,
            cy,
            r,
            fill,
            opacity >= 1 ? "" : String.format(Locale.ROOT, " fill-opacity=\"%.2f\"", opacity)));
  }
}

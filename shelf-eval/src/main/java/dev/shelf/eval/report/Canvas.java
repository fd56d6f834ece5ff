package dev.shelf.eval.report;

/**
 * Where a chart draws: the report's inline SVG ({@link SvgCanvas}) or a PNG image ({@link
 * PngCanvas}). Coordinates are pixels from the top left; colours are {@code #rrggbb}.
 */
interface Canvas {
  /** How text sits on its x: starting there, centred on it, or ending there. */
  enum Anchor {
    START,
    MIDDLE,
    END
  }

  void text(double x, double y, String s, Anchor anchor);

  void rect(double x, double y, double w, double h, String fill);

  void line(double x1, double y1, double x2, double y2, String stroke, double width);

  void circle(double cx, double cy, double r, String fill, double opacity);
}

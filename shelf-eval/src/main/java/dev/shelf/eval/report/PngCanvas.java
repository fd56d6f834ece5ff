package dev.shelf.eval.report;

import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;

/**
 * Draws with Java2D (headless) onto an image at {@code scale} times the chart's size, white
 * background, anti-aliased. Text needs a font from the system; where none can be loaded (a machine
 * without fontconfig fonts) labels are left out and {@link #textDropped()} says so, rather than the
 * export failing.
 */
final class PngCanvas implements Canvas {
  private final BufferedImage image;
  private final Graphics2D g;
  private boolean textDropped;

  PngCanvas(int w, int h, double scale) {
    image =
        new BufferedImage(
            (int) Math.ceil(w * scale), (int) Math.ceil(h * scale), BufferedImage.TYPE_INT_RGB);
    g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.scale(scale, scale);
  }

  BufferedImage finish() {
    g.dispose();
    return image;
  }

  boolean textDropped() {
    return textDropped;
  }

  @Override
  @SuppressWarnings("CatchingUnchecked")
  public void text(double x, double y, String s, Anchor anchor) {
    if (textDropped) {
      return;
    }
    try {
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.setColor(new Color(0x22, 0x22, 0x22));
      double w = g.getFontMetrics().stringWidth(s);
      double at =
          switch (anchor) {
            case START -> x;
            case MIDDLE -> x - w / 2;
            case END -> x - w;
          };
      g.drawString(s, (float) at, (float) y);
    } catch (RuntimeException | InternalError e) {
      textDropped = true; // no usable font on this machine
    }
  }

  @Override
  public void rect(double x, double y, double w, double h, String fill) {
    g.setColor(Color.decode(fill));
    g.fill(new Rectangle2D.Double(x, y, w, h));
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, String stroke, double width) {
    g.setColor(Color.decode(stroke));
    g.setStroke(new BasicStroke((float) width));
    g.draw(new Line2D.Double(x1, y1, x2, y2));
  }

  @Override
  public void circle(double cx, double cy, double r, String fill, double opacity) {
    var before = g.getComposite();
    g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, (float) opacity));
    g.setColor(Color.decode(fill));
    g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
    g.setComposite(before);
  }
}

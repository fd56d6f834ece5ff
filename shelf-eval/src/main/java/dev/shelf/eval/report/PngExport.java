package dev.shelf.eval.report;

import dev.shelf.eval.exec.RunResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Writes a run's charts as PNG files, {@code <run>-<chart>.png} (accuracy, accuracy-cost, latency),
 * drawn as in the HTML report at twice its size for sharp slides. Headless: needs no display.
 */
public final class PngExport {
  private static final double SCALE = 2;

  private PngExport() {}

  /** What was written, and whether labels had to be left out (no font on this machine). */
  public record Written(List<Path> files, boolean textDropped) {
    public Written {
      files = List.copyOf(files);
    }
  }

  public static Written write(RunResults run, Path dir) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    var files = new ArrayList<Path>();
    boolean dropped = false;
    for (Charts.Chart chart : Charts.of(run)) {
      var canvas = new PngCanvas(Charts.W, chart.height(), SCALE);
      chart.draw().accept(canvas);
      Path file = dir.resolve(safe(run.spec().name()) + "-" + chart.id() + ".png");
      if (!ImageIO.write(canvas.finish(), "png", file.toFile())) {
        throw new IOException("no PNG writer in this Java runtime");
      }
      dropped |= canvas.textDropped();
      files.add(file);
    }
    return new Written(files, dropped);
  }

  private static String safe(String name) {
    return name.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}

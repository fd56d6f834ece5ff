package dev.shelf.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The download bar on stderr: bytes, percent, speed and time left, redrawn in place at most ten
 * times a second. Off, it prints nothing (stderr is not a terminal, or {@code --no-progress}).
 */
final class DownloadProgress {
  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final boolean on;
  private final String label;
  private long startNanos;
  private long startBytes;
  private long total = -1;
  private long lastDraw;
  private boolean drawn;

  DownloadProgress(PrintWriter err, boolean on, Path file) {
    this.err = err;
    this.on = on;
    this.label = String.valueOf(file);
  }

  /** The transfer begins at {@code offset} (a resumed part) of {@code total} bytes (-1 unknown). */
  void start(long offset, long total) {
    this.startNanos = System.nanoTime();
    this.startBytes = offset;
    this.total = total;
    this.lastDraw = 0;
  }

  void update(long done) {
    long now = System.nanoTime();
    if (!on || (now - lastDraw < 100_000_000L && done != total)) {
      return;
    }
    lastDraw = now;
    double seconds = (now - startNanos) / 1e9;
    double speed = seconds > 0 ? (done - startBytes) / seconds : 0;
    err.print("\r" + line(label, done, total, speed) + "   ");
    err.flush();
    drawn = true;
  }

  void finish() {
    if (drawn) {
      err.println();
      err.flush();
      drawn = false;
    }
  }

  /** One bar: {@code label [####....] 42% 1.20 GiB / 2.86 GiB 35.1 MiB/s ETA 0:48}. */
  static String line(String label, long done, long total, double bytesPerSecond) {
    String speed = bytes((long) bytesPerSecond) + "/s";
    if (total <= 0) {
      return String.format(Locale.ROOT, "%s %s  %s", label, bytes(done), speed);
    }
    double f = Math.min(1, (double) done / total);
    int filled = (int) Math.round(f * WIDTH);
    String eta = bytesPerSecond > 0 ? duration((long) ((total - done) / bytesPerSecond)) : "--:--";
    return String.format(
        Locale.ROOT,
        "%s [%s%s] %3.0f%% %s / %s  %s  ETA %s",
        label,
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        f * 100,
        bytes(done),
        bytes(total),
        speed,
        eta);
  }

  static String duration(long seconds) {
    long h = seconds / 3600;
    long m = (seconds / 60) % 60;
    long s = seconds % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
        : String.format(Locale.ROOT, "%d:%02d", m, s);
  }

  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    if (n >= 1L << 10) {
      return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
    }
    return n + " B";
  }
}

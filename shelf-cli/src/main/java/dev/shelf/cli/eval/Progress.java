package dev.shelf.cli.eval;

import dev.shelf.eval.exec.RunExecutor;
import dev.shelf.eval.run.Response;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live progress of a run on stderr, one line per model: a bar, done/total, errors and the time
 * left (from this session's pace). On a terminal the lines are redrawn in place four times a
 * second; otherwise (a pipe, a log file) a snapshot is printed every ten seconds and at the end.
 */
final class Progress implements RunExecutor.Listener, AutoCloseable {
  private static final int BAR = 24;

  private final PrintStream err;
  private final boolean terminal;
  private final Map<String, Line> lines = new LinkedHashMap<>();
  private final Thread painter;
  private final int width;
  private volatile boolean open = true;
  private int drawn;

  private static final class Line {
    volatile int total;
    volatile int before;
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger errors = new AtomicInteger();
    volatile long startNanos = System.nanoTime();
  }

  Progress(PrintStream err, List<String> models) {
    this.err = err;
    this.terminal = dev.shelf.cli.Terminal.stderrIsTerminal();
    for (String m : models) {
      lines.put(m, new Line());
    }
    this.width = models.stream().mapToInt(String::length).max().orElse(5);
    this.painter =
        Thread.ofPlatform()
            .daemon()
            .name("eval-progress")
            .start(
                () -> {
                  long every = terminal ? 250 : 10_000;
                  while (open) {
                    try {
                      Thread.sleep(every);
                    } catch (InterruptedException e) {
                      return;
                    }
                    paint();
                  }
                });
  }

  @Override
  public void started(String model, int items, int finished, int errors) {
    Line l = lines.get(model);
    if (l != null) {
      l.total = items;
      l.before = finished;
      l.done.set(finished);
      l.errors.set(errors);
      l.startNanos = System.nanoTime();
    }
  }

  @Override
  public void finished(String model, String itemId, Response response) {
    Line l = lines.get(model);
    if (l != null) {
      l.done.incrementAndGet();
      if (response.failed()) {
        l.errors.incrementAndGet();
      }
    }
  }

  private synchronized void paint() {
    var sb = new StringBuilder();
    if (terminal && drawn > 0) {
      sb.append("\033[").append(drawn).append('A');
    }
    for (var e : lines.entrySet()) {
      if (terminal) {
        sb.append("\r\033[2K");
      }
      sb.append(line(e.getKey(), e.getValue())).append('\n');
    }
    drawn = lines.size();
    err.print(sb);
    err.flush();
  }

  String line(String model, Line l) {
    int total = Math.max(l.total, 0);
    int done = l.done.get();
    int filled = total == 0 ? BAR : (int) ((long) done * BAR / total);
    String eta;
    int fresh = done - l.before;
    if (done >= total) {
      eta = "done";
    } else if (fresh <= 0) {
      eta = "starting";
    } else {
      double perItem = (System.nanoTime() - l.startNanos) / 1e9 / fresh;
      eta = duration((long) Math.ceil(perItem * (total - done))) + " left";
    }
    return String.format(
        Locale.ROOT,
        "%-" + width + "s [%s%s] %d/%d  errors %d  %s",
        model,
        "#".repeat(filled),
        ".".repeat(BAR - filled),
        done,
        total,
        l.errors.get(),
        eta);
  }

  static String duration(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60);
  }

  @Override
  public void close() {
    open = false;
    painter.interrupt();
    try {
      painter.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    paint();
  }
}

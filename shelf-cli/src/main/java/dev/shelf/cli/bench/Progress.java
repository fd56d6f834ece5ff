package dev.shelf.cli.bench;

import java.io.PrintStream;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The progress line on stderr: phase number and name, then the warm-up countdown or a bar over the
 * measured window. On a terminal the line is redrawn in place; otherwise each phase gets one line,
 * so logs stay readable.
 */
final class Progress {
  private static final int BAR = 30;

  private final @Nullable PrintStream err;
  private final boolean live;
  private final int phases;
  private int index;
  private String name = "";
  private int drawn;
  private long lastDraw;

  private Progress(@Nullable PrintStream err, boolean live, int phases) {
    this.err = err;
    this.live = live;
    this.phases = phases;
  }

  /** Progress on stderr, redrawn in place when stderr is a terminal. */
  static Progress stderr(int phases) {
    return new Progress(System.err, dev.shelf.cli.Terminal.stderrIsTerminal(), phases);
  }

  static Progress none() {
    return new Progress(null, false, 0);
  }

  /** Starts the next phase; returns the ticker that draws it while the load runs. */
  HttpLoad.Ticker phase(String phaseName) {
    index++;
    name = phaseName;
    PrintStream e = err;
    if (e != null && !live) {
      e.printf("[%d/%d] %s%n", index, phases, name);
      e.flush();
    }
    return this::draw;
  }

  /** Says what is happening between phases (start-up, a long step). */
  void note(String text) {
    PrintStream e = err;
    if (e == null) {
      return;
    }
    clear();
    e.println(text);
    e.flush();
  }

  private void draw(long now, long measureFrom, long until) {
    PrintStream e = err;
    if (e == null || !live || (now - lastDraw < 100_000_000L && now - until < 0)) {
      return;
    }
    lastDraw = now;
    String state;
    if (now - measureFrom < 0) {
      state = String.format(Locale.ROOT, "warm-up, %.1f s", (measureFrom - now) / 1e9);
    } else {
      double done = Math.min(1, (now - measureFrom) / (double) (until - measureFrom));
      int filled = (int) Math.round(done * BAR);
      state =
          "["
              + "#".repeat(filled)
              + ".".repeat(BAR - filled)
              + "] "
              + String.format(Locale.ROOT, "%.1f s left", Math.max(0, until - now) / 1e9);
    }
    String text = String.format(Locale.ROOT, "[%d/%d] %-40s %s", index, phases, name, state);
    e.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())));
    e.flush();
    drawn = text.length();
  }

  /** Removes the progress line (before results are printed). */
  void clear() {
    PrintStream e = err;
    if (e != null && live && drawn > 0) {
      e.print("\r" + " ".repeat(drawn) + "\r");
      e.flush();
      drawn = 0;
    }
  }
}

package dev.shelf.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a progress bar has a terminal to redraw itself on. */
public final class Terminal {
  private Terminal() {}

  /** Whether stderr is a terminal: from /proc on Linux (stdout may be a file), else the console. */
  @SuppressWarnings("SystemConsoleNull")
  public static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      var console = System.console(); // null on JDKs before 22, and NullAway says it may be
      return console != null && console.isTerminal();
    }
  }
}

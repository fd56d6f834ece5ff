package dev.shelf.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code shelf} run in-process with stdout and stderr captured; and the shared fixtures. */
public record CliRun(int exit, String out, String err) {
  public static CliRun run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = Main.run(args);
      return new CliRun(
          exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /**
   * {@code ../shared/models/stories260k}, from the {@code shelf.root} property surefire sets or
   * above the working directory (as the engine's SharedFixtures finds it). Read, never copied.
   */
  static Path stories() {
    String root = System.getProperty("shelf.root");
    if (root != null) {
      Path candidate = Path.of(root).resolve("../shared/models/stories260k").normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    for (Path p = Path.of("").toAbsolutePath(); p.getParent() != null; p = p.getParent()) {
      Path sibling = p.resolveSibling("shared").resolve("models").resolve("stories260k");
      if (Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException("../shared/models/stories260k not found");
  }
}

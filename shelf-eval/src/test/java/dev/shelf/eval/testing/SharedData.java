package dev.shelf.eval.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared evaluation data sets ({@code ../shared/data} next to the multi-module root; surefire
 * sets {@code shelf.root}, and from an IDE the tree above the working directory is searched). They
 * are read in place, never copied into the repository (CMMLU is non-commercial).
 */
public final class SharedData {
  private SharedData() {}

  public static Path dir(String name) {
    String root = System.getProperty("shelf.root");
    if (root != null) {
      Path candidate = Path.of(root).resolve("../shared/data").resolve(name).normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path sibling = p.resolveSibling("shared").resolve("data").resolve(name);
      if (p.getParent() != null && Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException(
        "../shared/data/"
            + name
            + " not found from shelf.root="
            + root
            + " nor above "
            + Path.of("").toAbsolutePath());
  }

  public static Path file(String dir, String name) {
    return dir(dir).resolve(name);
  }
}

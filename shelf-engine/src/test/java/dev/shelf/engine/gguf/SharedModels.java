package dev.shelf.engine.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the project's shared model fixtures, {@code ../shared/models} next to the multi-module
 * root. Maven's surefire sets {@code shelf.root} to that root; run from an IDE, the directory tree
 * above the working directory is searched instead.
 */
final class SharedModels {
  private SharedModels() {}

  static Path dir() {
    String root = System.getProperty("shelf.root");
    if (root != null) {
      Path candidate = Path.of(root).resolve("../shared/models").normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path sibling = p.resolveSibling("shared").resolve("models");
      if (p.getParent() != null && Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException(
        "../shared/models not found from shelf.root="
            + root
            + " nor above "
            + Path.of("").toAbsolutePath());
  }

  static Path stories260k() {
    return dir().resolve("stories260k/stories260K.gguf");
  }

  static Path vocab() {
    return dir().resolve("vocab");
  }
}

package dev.shelf.engine.gguf;

import dev.shelf.engine.testing.SharedFixtures;
import java.nio.file.Path;

/**
 * Finds the project's shared model fixtures, {@code ../shared/models} next to the multi-module
 * root. Maven's surefire sets {@code shelf.root} to that root; run from an IDE, the directory tree
 * above the working directory is searched instead.
 */
final class SharedModels {
  private SharedModels() {}

  static Path dir() {
    return SharedFixtures.models();
  }

  static Path stories260k() {
    return dir().resolve("stories260k/stories260K.gguf");
  }

  static Path vocab() {
    return dir().resolve("vocab");
  }
}

package dev.shelf.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** MODEL as the engine tools take it: a path to a GGUF file, or a file's name in data/models. */
final class ModelPaths {
  private ModelPaths() {}

  /**
   * {@code model} itself when it is a file, else {@code DATA_DIR/models/model} (with {@code .gguf}
   * added when it has no extension).
   *
   * @throws CommandLine.ParameterException naming the places looked in when none exists
   */
  static Path resolve(CommandLine cmd, String model, Path dataDir) {
    Path direct = Path.of(model);
    if (Files.isRegularFile(direct)) {
      return direct;
    }
    Path models = dataDir.resolve("models");
    Path named = models.resolve(model);
    if (Files.isRegularFile(named)) {
      return named;
    }
    Path withExtension = models.resolve(model + ".gguf");
    if (!model.endsWith(".gguf") && Files.isRegularFile(withExtension)) {
      return withExtension;
    }
    throw new CommandLine.ParameterException(
        cmd,
        "model '"
            + model
            + "' is neither a file nor in "
            + models
            + " (shelf pull downloads one there)");
  }
}

package dev.shelf.engine.model;

import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The architectures the engine runs: the one list a new {@link Architecture} is added to. */
public final class Architectures {
  private static final List<Architecture> KNOWN =
      List.of(new LlamaArchitecture(), new Qwen2Architecture(), new Qwen3Architecture());

  private Architectures() {}

  /** Every architecture the engine runs, llama first. */
  public static List<Architecture> known() {
    return KNOWN;
  }

  /** The names of {@link #known()}, comma-separated. */
  public static String names() {
    return String.join(", ", KNOWN.stream().map(Architecture::name).toList());
  }

  /** The architecture called {@code name} (as {@code general.architecture} says), or null. */
  public static @Nullable Architecture find(String name) {
    for (Architecture a : KNOWN) {
      if (a.name().equals(name)) {
        return a;
      }
    }
    return null;
  }

  /**
   * The architecture of {@code file}.
   *
   * @throws GgufException naming the file, its architecture and the known ones when the engine does
   *     not run it, or naming the key when the file has no {@code general.architecture}
   */
  public static Architecture of(GgufFile file) {
    String name = file.metadata().getString("general.architecture");
    Architecture a = find(name);
    if (a == null) {
      throw new GgufException(
          file.source()
              + ": general.architecture '"
              + name
              + "' is not supported; the engine runs "
              + names());
    }
    return a;
  }
}

package dev.shelf.guard.keyword;

import dev.shelf.guard.text.TextNormalizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Keyword libraries read from files (or directories of {@code *.txt} files), compiled into one
 * {@link KeywordMatcher}, and reloaded without a restart.
 *
 * <p>A reload reads and compiles everything off to the side and then swaps the reference: readers
 * never see a half-built automaton and never wait. A reload that fails (a missing file, a bad term)
 * throws and leaves the previous matcher in place. Searches and stream filters already running keep
 * the matcher they started with.
 */
public final class KeywordGuard {
  private final List<Path> paths;
  private final int maxGap;
  private final TextNormalizer normalizer;
  private final AtomicReference<Snapshot> current = new AtomicReference<>();

  private record Snapshot(KeywordMatcher matcher, List<String> stamps) {}

  private KeywordGuard(List<Path> paths, int maxGap, TextNormalizer normalizer) throws IOException {
    this.paths = List.copyOf(paths);
    this.maxGap = maxGap;
    this.normalizer = normalizer;
    reload();
  }

  /** Loads library files or directories with the default options. */
  public static KeywordGuard load(List<Path> paths) throws IOException {
    return new KeywordGuard(paths, KeywordMatcher.DEFAULT_MAX_GAP, TextNormalizer.standard());
  }

  /** Loads library files or directories. */
  public static KeywordGuard load(List<Path> paths, int maxGap, TextNormalizer normalizer)
      throws IOException {
    return new KeywordGuard(paths, maxGap, normalizer);
  }

  /** The matcher now in force. */
  public KeywordMatcher matcher() {
    return current.get().matcher();
  }

  /** Rereads every library and swaps the compiled matcher in. */
  public synchronized void reload() throws IOException {
    List<Path> files = files();
    List<String> stamps = stamps(files);
    List<KeywordLibrary> libraries = new ArrayList<>();
    for (Path file : files) {
      libraries.add(KeywordLibrary.load(file));
    }
    current.set(new Snapshot(KeywordMatcher.compile(libraries, maxGap, normalizer), stamps));
  }

  /**
   * Reloads when a file was added, removed, or changed size or modification time since the last
   * load; answers whether it did. Meant for a periodic check (a few seconds apart).
   */
  public synchronized boolean reloadIfChanged() throws IOException {
    if (stamps(files()).equals(current.get().stamps())) {
      return false;
    }
    reload();
    return true;
  }

  private List<Path> files() throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        try (Stream<Path> listing = Files.list(path)) {
          listing
              .filter(p -> p.getFileName().toString().endsWith(".txt") && Files.isRegularFile(p))
              .sorted()
              .forEach(files::add);
        }
      } else if (Files.isRegularFile(path)) {
        files.add(path);
      } else {
        throw new IOException("keyword library " + path + " is neither a file nor a directory");
      }
    }
    return files;
  }

  private static List<String> stamps(List<Path> files) throws IOException {
    List<String> stamps = new ArrayList<>();
    for (Path file : files) {
      stamps.add(file + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis());
    }
    return stamps;
  }
}

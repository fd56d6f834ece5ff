package dev.shelf.gateway.config;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.gguf.GgufMetadata;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.providers.spi.ProviderSpec;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The GGUF files in the data directory's {@code models/} folder, put on the shelf with no
 * configuration: what {@code shelf pull} downloads (or anyone copies there) can be chatted with at
 * once, under the file's name without {@code .gguf}.
 *
 * <p>{@link #addTo} lays the folder over a configuration: a provider of type {@code local} whose
 * {@code dir} is the folder ({@value #PROVIDER}, or {@code local-models} when the configuration
 * already has a provider of that name), and one model per file. The configuration wins: a file
 * whose id is taken, or that a {@code local} provider of the configuration already serves, is left
 * out. Files being written ({@code .part}, as {@code shelf pull} writes them) and hidden files are
 * not models. {@link #fingerprint} changes whenever a file comes, goes or changes, so the runtime
 * can reload the shelf.
 */
public final class ModelsFolder {
  /** The provider that serves the folder, when the configuration has none of that name. */
  public static final String PROVIDER = "local";

  static final String FALLBACK_PROVIDER = "local-models";
  private static final String SUFFIX = ".gguf";

  private final Path dir;

  /** Headers read so far, kept while a file's size and modification time stay the same. */
  private final HeaderCache headers = new HeaderCache();

  public ModelsFolder(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public Path dir() {
    return dir;
  }

  /** The GGUF files there now, by file name, with their size and modification time. */
  private Map<String, BasicFileAttributes> files() {
    var out = new TreeMap<String, BasicFileAttributes>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if (name.startsWith(".")
            || !name.toLowerCase(Locale.ROOT).endsWith(SUFFIX)
            || name.length() == SUFFIX.length()) {
          continue;
        }
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (a.isRegularFile() || a.isSymbolicLink() && Files.isRegularFile(p)) {
            out.put(name, a);
          }
        } catch (IOException e) {
          // gone since the listing: not a model any more
        }
      }
    } catch (IOException e) {
      return out; // an unreadable folder holds no models
    }
    return out;
  }

  /**
   * What a file's header says of it: its context length and what it can do. An embedding model (its
   * metadata names a pooling type) embeds; any other completes text, calls tools and writes JSON to
   * a schema (the local provider does both for every model), and reasons when its chat template
   * knows {@code <think>}. A file that cannot be read says nothing more; loading it will say why.
   */
  record Header(@Nullable Integer context, Set<String> capabilities) {}

  private static final Set<String> CHAT = Set.of("completion", "tools", "json");

  /**
   * Each file's header once per version of the file: a reload (a file came, or the stored
   * configuration changed) re-reads only files that changed, not every vocabulary on the shelf.
   */
  private static final class HeaderCache {
    private record Entry(long size, long modified, Header header) {}

    private final Map<Path, Entry> entries = new java.util.concurrent.ConcurrentHashMap<>();

    Header header(Path file, @Nullable BasicFileAttributes a) {
      if (a == null) {
        return ModelsFolder.header(file);
      }
      long size = a.size();
      long modified = a.lastModifiedTime().toMillis();
      Entry e = entries.get(file);
      if (e == null || e.size() != size || e.modified() != modified) {
        e = new Entry(size, modified, ModelsFolder.header(file));
        entries.put(file, e);
      }
      return e.header();
    }
  }

  static Header header(Path file) {
    try (GgufFile f = GgufFile.open(file)) {
      GgufMetadata meta = f.metadata();
      String arch = meta.getString("general.architecture", "");
      Integer context =
          meta.contains(arch + ".context_length") ? meta.getInt(arch + ".context_length") : null;
      if (meta.contains(arch + ".pooling_type")) {
        int pooling = meta.getInt(arch + ".pooling_type");
        // 4 is a reranker's, which nothing here serves; 0 ("none") is a chat model's
        if (pooling == 4) {
          return new Header(context, Set.of());
        }
        if (pooling != 0) {
          return new Header(context, Set.of("embedding"));
        }
      }
      Set<String> caps = new HashSet<>(CHAT);
      if (meta.getString("tokenizer.chat_template", "").contains("<think>")) {
        caps.add("reasoning");
      }
      return new Header(context, caps);
    } catch (IOException | RuntimeException e) {
      return new Header(null, CHAT);
    }
  }

  /** A value that differs whenever a model file comes, goes or changes. */
  public String fingerprint() {
    var sb = new StringBuilder();
    files()
        .forEach(
            (name, a) ->
                sb.append(name)
                    .append('\u0000')
                    .append(a.size())
                    .append('\u0000')
                    .append(a.lastModifiedTime().toMillis())
                    .append('\n'));
    return sb.toString();
  }

  /** {@code config} with the folder's models added (unchanged when the folder holds none). */
  public ShelfConfig addTo(ShelfConfig config) {
    Map<String, BasicFileAttributes> files = files();
    if (files.isEmpty()) {
      return config;
    }
    Set<String> ids = new HashSet<>();
    Set<Path> served = new HashSet<>();
    for (ModelSpec m : config.models()) {
      ids.add(m.id());
      ProviderSpec p = config.providers().get(m.provider());
      if (p != null && p.type().equals("local")) {
        Object d = p.options().get("dir");
        Path base = Path.of(d == null ? "." : d.toString()).toAbsolutePath();
        served.add(base.resolve(m.upstream()).normalize());
      }
    }
    String provider = config.providers().containsKey(PROVIDER) ? FALLBACK_PROVIDER : PROVIDER;
    var models = new ArrayList<>(config.models());
    for (String name : files.keySet()) {
      String id = name.substring(0, name.length() - SUFFIX.length());
      if (ids.contains(id) || served.contains(dir.resolve(name))) {
        continue;
      }
      Header h = headers.header(dir.resolve(name), files.get(name));
      models.add(
          new ModelSpec(
              id,
              provider,
              name,
              h.context(),
              null,
              List.of("text"),
              List.of("text"),
              h.capabilities(),
              null,
              1,
              0,
              "local"));
    }
    if (models.size() == config.models().size()) {
      return config;
    }
    var providers = new LinkedHashMap<>(config.providers());
    providers.put(
        provider,
        new ProviderSpec(
            provider,
            "local",
            null,
            null,
            null,
            Map.of(),
            config.resilience().connectTimeout(),
            Map.of("dir", dir.toString())));
    return config.withShelf(providers, models);
  }
}

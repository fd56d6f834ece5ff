package dev.shelf.gateway;

import dev.shelf.gateway.config.ConfigException;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ConfigOverlay;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.routing.DeploymentHealth;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Owns the live {@link Shelf}: builds it from the configuration, watches the file and swaps in a
 * new snapshot when it changes. A reload never drops requests: in-flight requests keep the old
 * snapshot, providers whose settings did not change are carried over (their connections too), and
 * replaced providers are closed only after a grace period. An invalid file is reported with its
 * file, line and key, and the running shelf stays as it was.
 */
public final class ShelfRuntime implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.config");

  private final ConfigLoader loader;
  private final @Nullable Path file;
  private final AtomicReference<Shelf> current = new AtomicReference<>();
  private final Map<String, DeploymentHealth> health = new ConcurrentHashMap<>();
  private final ScheduledExecutorService watcher =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("shelf-config-watch").unstarted(r));
  private final Preloads preloads = new Preloads();
  private volatile @Nullable FileTime lastModified;
  private volatile @Nullable String lastError;

  private final UnaryOperator<ShelfConfig> overrides;
  private final @Nullable ConfigOverlay overlay;
  private volatile long overlayVersion;
  private volatile @Nullable Supplier<String> watched;
  private volatile String watchedLast = "";

  private ShelfRuntime(
      ConfigLoader loader,
      @Nullable Path file,
      ShelfConfig config,
      UnaryOperator<ShelfConfig> overrides,
      @Nullable ConfigOverlay overlay) {
    this.loader = loader;
    this.file = file;
    this.overrides = overrides;
    this.overlay = overlay;
    current.set(build(config, Map.of(), Map.of()));
    preloads.start(current.get());
  }

  /** Starts from a file (watched for changes) or, with no file, the built-in defaults. */
  public static ShelfRuntime start(
      @Nullable Path file, Map<String, String> env, UnaryOperator<ShelfConfig> overrides) {
    return start(file, env, overrides, null);
  }

  /**
   * As {@link #start(Path, Map, UnaryOperator)}, with providers and models stored through the admin
   * API laid over the file; both are watched, so a change to either reloads the shelf.
   */
  public static ShelfRuntime start(
      @Nullable Path file,
      Map<String, String> env,
      UnaryOperator<ShelfConfig> overrides,
      @Nullable ConfigOverlay overlay) {
    return start(new ConfigLoader(env), file, overrides, overlay);
  }

  /** As above, with the given loader (tests add provider types to its factories). */
  static ShelfRuntime start(
      ConfigLoader loader,
      @Nullable Path file,
      UnaryOperator<ShelfConfig> overrides,
      @Nullable ConfigOverlay overlay) {
    long version = overlay == null ? 0 : overlay.version();
    ShelfConfig config =
        overrides.apply(loader.load(file, overlay == null ? null : overlay.document()));
    var rt = new ShelfRuntime(loader, file, config, overrides, overlay);
    rt.overlayVersion = version;
    if (file != null) {
      rt.lastModified = mtime(file);
    }
    if (file != null || overlay != null) {
      rt.watcher.scheduleWithFixedDelay(rt::checkForChange, 1, 1, TimeUnit.SECONDS);
    }
    return rt;
  }

  /**
   * As {@link #start(Path, Map, UnaryOperator, ConfigOverlay)}, also reloading whenever {@code
   * watched} (say, a fingerprint of a models folder that {@code overrides} lays over the
   * configuration) gives another value; it is asked once a second.
   */
  public static ShelfRuntime start(
      @Nullable Path file,
      Map<String, String> env,
      UnaryOperator<ShelfConfig> overrides,
      @Nullable ConfigOverlay overlay,
      Supplier<String> watched) {
    String first = watched.get(); // before the first load: a change from here on reloads
    var rt = start(file, env, overrides, overlay);
    rt.watchedLast = first;
    rt.watched = watched;
    if (file == null && overlay == null) {
      rt.watcher.scheduleWithFixedDelay(rt::checkForChange, 1, 1, TimeUnit.SECONDS);
    }
    return rt;
  }

  /**
   * Whether {@code document} laid over the current file makes a valid configuration; the error
   * (file, line and key) when it does not.
   */
  public @Nullable String check(String document) {
    try {
      ShelfConfig checked = overrides.apply(loader.load(file, document));
      LOG.log(
          System.Logger.Level.DEBUG,
          "stored configuration checks out: " + checked.models().size() + " models");
      return null;
    } catch (ConfigException | IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** A runtime over a configuration built in code (tests, benchmarks). */
  public static ShelfRuntime of(ShelfConfig config) {
    return new ShelfRuntime(
        new ConfigLoader(Map.of()), null, config, UnaryOperator.identity(), null);
  }

  public Shelf shelf() {
    return current.get();
  }

  public ShelfConfig config() {
    return current.get().config();
  }

  /**
   * The deployments ({@code provider/upstream}) of models marked {@code preload} that are still
   * being got ready; a node is not ready while any is.
   */
  public List<String> preloading() {
    return preloads.pending();
  }

  /** The deployments whose preload failed, with the error (their requests try again). */
  public Map<String, String> preloadFailures() {
    return preloads.failed();
  }

  /** The last reload error, or null if the last reload succeeded. */
  public @Nullable String lastError() {
    return lastError;
  }

  private void checkForChange() {
    boolean changed = false;
    Path f = file;
    if (f != null) {
      FileTime m = mtime(f);
      if (m != null && !m.equals(lastModified)) {
        lastModified = m;
        changed = true;
      }
    }
    ConfigOverlay o = overlay;
    if (o != null) {
      try {
        long v = o.version();
        if (v != overlayVersion) {
          overlayVersion = v;
          changed = true;
        }
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot read stored configuration: " + e.getMessage());
      }
    }
    Supplier<String> w = watched;
    if (w != null) {
      try {
        String now = w.get();
        if (!now.equals(watchedLast)) {
          watchedLast = now;
          changed = true;
        }
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot check for changes: " + e.getMessage());
      }
    }
    if (changed) {
      reload();
    }
  }

  /** Reloads the file now; returns the error, or null when the new shelf is in place. */
  public synchronized @Nullable String reload() {
    Path f = file;
    ConfigOverlay o = overlay;
    if (f == null && o == null && watched == null) {
      return null;
    }
    try {
      ShelfConfig config = overrides.apply(loader.load(f, o == null ? null : o.document()));
      Shelf old = current.get();
      Shelf next = build(config, old.config().providers(), old.providers());
      lastError = null; // before the swap, so whoever sees the new shelf sees no stale error
      current.set(next);
      preloads.start(next);
      var retired = new HashMap<>(old.providers());
      next.providers().forEach((name, p) -> retired.values().remove(p));
      if (!retired.isEmpty()) {
        watcher.schedule(
            () -> retired.values().forEach(Provider::close),
            config.server().shutdownGrace().toMillis(),
            TimeUnit.MILLISECONDS);
      }
      LOG.log(
          System.Logger.Level.INFO,
          "reloaded "
              + (f == null ? "stored configuration" : f)
              + ": "
              + next.names().size()
              + " models and routes");
      return null;
    } catch (ConfigException | IllegalArgumentException e) {
      lastError = e.getMessage();
      LOG.log(
          System.Logger.Level.ERROR, "not reloaded, keeping the running shelf: " + e.getMessage());
      return e.getMessage();
    }
  }

  private Shelf build(
      ShelfConfig config, Map<String, ProviderSpec> oldSpecs, Map<String, Provider> oldProviders) {
    var providers = new HashMap<String, Provider>();
    Map<String, ProviderFactory> factories = loader.factories();
    try {
      for (var e : config.providers().entrySet()) {
        ProviderSpec spec = e.getValue();
        Provider reuse = oldProviders.get(e.getKey());
        if (reuse != null && spec.equals(oldSpecs.get(e.getKey()))) {
          providers.put(e.getKey(), reuse);
          continue;
        }
        ProviderFactory f = factories.get(spec.type());
        if (f == null) {
          throw new ConfigException(
              config.source() + ": provider " + e.getKey() + ": unknown type " + spec.type());
        }
        providers.put(e.getKey(), f.create(spec));
      }
      return new Shelf(config, providers, id -> health.computeIfAbsent(id, DeploymentHealth::new));
    } catch (RuntimeException e) {
      providers.forEach(
          (name, p) -> {
            if (oldProviders.get(name) != p) {
              p.close();
            }
          });
      throw e;
    }
  }

  private static @Nullable FileTime mtime(Path f) {
    try {
      return Files.getLastModifiedTime(f);
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    watcher.shutdownNow();
    preloads.close();
    current.get().providers().values().forEach(Provider::close);
  }
}

package dev.shelf.providers.local;

import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.spi.ResidentModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The local models loaded in this process and the memory each takes (its mapped file and what its
 * kernels decode at load), so that loading one more never takes the machine past its memory: the
 * models would then page their weights from disk for every token. A model that would not fit beside
 * those loaded unloads the ones serving no request, least recently used first; when that is not
 * enough (the others are answering), it is refused for now ({@code RATE_LIMITED}, {@code
 * model_memory_busy}: the gateway tries another deployment, and the model loads once the others are
 * idle). Every local provider of the process shares {@link #PROCESS}, so models of two providers (a
 * configured one and the models folder's) count together.
 *
 * <p>A model may also have a keep-alive: once it has served no request for that long, it is
 * unloaded (checked four times a second), giving its memory back to the machine.
 */
final class Resident {
  /** The process's models, across its local providers. */
  static final Resident PROCESS = new Resident();

  /** The keep-alive of a model kept loaded until it must make room. */
  static final long FOREVER = Long.MAX_VALUE;

  private static final long SWEEP_MILLIS = 250;

  /** One model's share: reserved while it loads, then loaded until it is unloaded or closed. */
  static final class Place {
    private final Path path;
    private final long bytes;
    private final long decoded;
    private final long keepAliveNanos;
    private int users;
    private long lastUsed;
    private boolean loaded;
    private boolean preloaded;
    private @Nullable Consumer<String> unload;

    private Place(Path path, long bytes, long decoded, long keepAliveNanos) {
      this.path = path;
      this.bytes = bytes;
      this.decoded = decoded;
      this.keepAliveNanos = keepAliveNanos;
    }
  }

  private final List<Place> places = new ArrayList<>();
  private @Nullable ScheduledExecutorService sweeper;

  /**
   * Reserves {@code bytes} of memory for the model file at {@code path} within {@code
   * memory.physical()} (0: unknown, not checked), and {@code decoded} bytes of heap for the scales
   * it decodes at load within {@code memory.scalesHeap()} (likewise), unloading loaded models that
   * serve no request, least recently used first, as long as it does not fit. Once loaded, the model
   * is unloaded after {@code memory.keepAliveNanos()} without a request ({@link #FOREVER}: never).
   *
   * <p>A {@code preload} does not unload models preloaded before it: preloads that do not fit
   * together would otherwise unload each other in turn and leave the first ones cold.
   *
   * @throws ProviderException {@code RATE_LIMITED} when it does not fit beside the models that are
   *     answering requests; {@code BAD_REQUEST}, {@code model_memory_preloaded}, when a preload
   *     does not fit beside the preloaded models
   */
  Place reserve(Path path, long bytes, long decoded, Memory memory, boolean preload) {
    List<Consumer<String>> unloads = new ArrayList<>();
    try {
      synchronized (this) {
        while (true) {
          boolean memoryShort = memory.physical() > 0 && taken() + bytes > memory.physical();
          long scalesHeap = memory.scalesHeap(); // less while a provider's own KV budget is open
          boolean heapShort = scalesHeap > 0 && decodedTaken() + decoded > scalesHeap;
          if (!memoryShort && !heapShort) {
            break;
          }
          // only a model that frees what is short: one without scales frees no heap
          Place victim =
              places.stream()
                  .filter(p -> p.loaded && p.users == 0 && !(preload && p.preloaded))
                  .filter(p -> (memoryShort && p.bytes > 0) || (heapShort && p.decoded > 0))
                  .min(Comparator.comparingLong(p -> p.lastUsed))
                  .orElse(null);
          if (victim == null && preload && places.stream().anyMatch(p -> p.preloaded)) {
            throw preloadedFull(path, bytes, decoded, memory);
          }
          if (victim == null) {
            throw busy(path, bytes, decoded, memory);
          }
          places.remove(victim);
          Consumer<String> u = victim.unload;
          if (u != null) {
            unloads.add(u);
          }
        }
        Place p = new Place(path, bytes, decoded, memory.keepAliveNanos());
        places.add(p);
        return p;
      }
    } finally {
      // outside the lock: closing unmaps the file and stops a thread
      unloads.forEach(u -> u.accept("to make room for " + path.getFileName()));
    }
  }

  /**
   * Marks a reserved place loaded, in use by the caller; {@code unload} closes the model when it
   * must make room for another.
   */
  synchronized void loaded(Place p, Consumer<String> unload) {
    p.unload = unload;
    p.loaded = true;
    p.users = 1;
    if (p.keepAliveNanos != FOREVER && sweeper == null) {
      ScheduledExecutorService s =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().daemon().name("shelf-local-keep-alive").unstarted(r));
      var _ =
          s.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
      sweeper = s;
    }
  }

  /** Unloads the models that have served no request for longer than their keep-alive. */
  void sweep() {
    List<Consumer<String>> unloads = new ArrayList<>();
    List<String> why = new ArrayList<>();
    synchronized (this) {
      long now = System.nanoTime();
      for (Iterator<Place> it = places.iterator(); it.hasNext(); ) {
        Place p = it.next();
        Consumer<String> u = p.unload;
        if (p.loaded && p.users == 0 && now - p.lastUsed >= p.keepAliveNanos && u != null) {
          it.remove();
          unloads.add(u);
          why.add(
              String.format(
                  Locale.ROOT, "after %.1f s without a request", (now - p.lastUsed) / 1e9));
        }
      }
    }
    for (int i = 0; i < unloads.size(); i++) {
      try {
        unloads.get(i).accept(why.get(i));
      } catch (RuntimeException e) {
        // an exception would cancel the schedule: keep sweeping the others
        System.getLogger("shelf.local")
            .log(System.Logger.Level.WARNING, "unloading an idle model failed", e);
      }
    }
  }

  /**
   * Marks a loaded model preloaded, or no longer: a later preload does not unload a preloaded model
   * to make room.
   */
  synchronized void preloaded(Place p, boolean preloaded) {
    p.preloaded = preloaded;
  }

  /** Takes a use of a loaded model; false when it was unloaded meanwhile (load it again). */
  synchronized boolean use(Place p) {
    if (!p.loaded || !places.contains(p)) {
      return false;
    }
    p.users++;
    return true;
  }

  /** Gives back a use. */
  synchronized void release(Place p) {
    p.users--;
    p.lastUsed = System.nanoTime();
  }

  /** What {@code p} takes, serves and has waited, for {@code model}; null once it is unloaded. */
  synchronized @Nullable ResidentModel state(Place p, String model) {
    if (!p.loaded || !places.contains(p)) {
      return null;
    }
    return new ResidentModel(
        model,
        p.bytes + p.decoded,
        p.users,
        p.users > 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - p.lastUsed));
  }

  /**
   * Forgets a place (its load failed, or its provider closed it); false when it was already gone:
   * unloaded for room or idleness, whose unloading closes the model.
   */
  synchronized boolean remove(Place p) {
    return places.remove(p);
  }

  /** The bytes of memory the loaded and loading models' files take. */
  synchronized long taken() {
    long sum = 0;
    for (Place p : places) {
      sum += p.bytes;
    }
    return sum;
  }

  /** The bytes of heap the loaded and loading models' decoded scales take. */
  synchronized long decodedTaken() {
    long sum = 0;
    for (Place p : places) {
      sum += p.decoded;
    }
    return sum;
  }

  /**
   * "model file F needs [A of memory][ and ][D of heap for its scales], and the local models WHO
   * take [T of the P this machine has for models][ and ][U of the H of heap for scales]", of the
   * limits that are checked.
   */
  private String shortOfRoom(Path path, long bytes, long decoded, Memory memory, String who) {
    boolean mem = memory.physical() > 0;
    boolean heap = memory.scalesHeap() > 0;
    String and = mem && heap ? " and " : "";
    return "model file "
        + path.getFileName()
        + " needs "
        + (mem ? KvBudget.mib(bytes) + " of memory" : "")
        + and
        + (heap ? KvBudget.mib(decoded) + " of heap for its scales" : "")
        + ", and the local models "
        + who
        + " take "
        + (mem
            ? KvBudget.mib(taken())
                + " of the "
                + KvBudget.mib(memory.physical())
                + " this machine has for models"
            : "")
        + and
        + (heap
            ? KvBudget.mib(decodedTaken())
                + " of the "
                + KvBudget.mib(memory.scalesHeap())
                + " of heap for scales"
            : "");
  }

  /** "F (A[, D of scales]" without the closing parenthesis. */
  private static String sizes(Place p) {
    return p.path.getFileName()
        + " ("
        + KvBudget.mib(p.bytes)
        + (p.decoded > 0 ? ", " + KvBudget.mib(p.decoded) + " of scales" : "");
  }

  private ProviderException preloadedFull(Path path, long bytes, long decoded, Memory memory) {
    var preloaded = new StringBuilder();
    for (Place p : places) {
      if (p.preloaded) {
        preloaded.append(preloaded.isEmpty() ? "" : ", ").append(sizes(p)).append(')');
      }
    }
    return new ProviderException(
        Kind.BAD_REQUEST,
        shortOfRoom(path, bytes, decoded, memory, "loaded")
            + ", preloaded: "
            + preloaded
            + "; it is not preloaded, so as not to unload those (it loads on its first request)",
        "model_memory_preloaded",
        null,
        0,
        null,
        null);
  }

  private ProviderException busy(Path path, long bytes, long decoded, Memory memory) {
    var busy = new StringBuilder();
    for (Place p : places) {
      busy.append(busy.isEmpty() ? "" : ", ")
          .append(sizes(p))
          .append(p.loaded ? ", answering" : ", loading")
          .append(')');
    }
    return new ProviderException(
        Kind.RATE_LIMITED,
        shortOfRoom(path, bytes, decoded, memory, "in use")
            + ": "
            + busy
            + "; it loads once they are idle",
        "model_memory_busy",
        null,
        0,
        1000L,
        null);
  }
}

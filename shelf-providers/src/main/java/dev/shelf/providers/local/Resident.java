package dev.shelf.providers.local;

import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
 */
final class Resident {
  /** The process's models, across its local providers. */
  static final Resident PROCESS = new Resident();

  /** One model's share: reserved while it loads, then loaded until it is unloaded or closed. */
  static final class Place {
    private final Path path;
    private final long bytes;
    private int users;
    private long lastUsed;
    private boolean loaded;
    private @Nullable Runnable unload;

    private Place(Path path, long bytes) {
      this.path = path;
      this.bytes = bytes;
    }
  }

  private final List<Place> places = new ArrayList<>();

  /**
   * Reserves {@code bytes} for the model at {@code path} within {@code physical} bytes of memory
   * (0: unknown, nothing is checked), unloading loaded models that serve no request, least recently
   * used first, as long as it does not fit.
   *
   * @throws ProviderException {@code RATE_LIMITED} when it does not fit beside the models that are
   *     answering requests
   */
  Place reserve(Path path, long bytes, long physical) {
    List<Runnable> unloads = new ArrayList<>();
    try {
      synchronized (this) {
        while (physical > 0 && taken() + bytes > physical) {
          Place victim =
              places.stream()
                  .filter(p -> p.loaded && p.users == 0)
                  .min(Comparator.comparingLong(p -> p.lastUsed))
                  .orElse(null);
          if (victim == null) {
            throw busy(path, bytes, physical);
          }
          places.remove(victim);
          Runnable u = victim.unload;
          if (u != null) {
            unloads.add(u);
          }
        }
        Place p = new Place(path, bytes);
        places.add(p);
        return p;
      }
    } finally {
      unloads.forEach(Runnable::run); // outside the lock: closing unmaps and joins a thread
    }
  }

  /**
   * Marks a reserved place loaded, in use by the caller; {@code unload} closes the model when it
   * must make room for another.
   */
  synchronized void loaded(Place p, Runnable unload) {
    p.unload = unload;
    p.loaded = true;
    p.users = 1;
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

  /** Forgets a place (its load failed, or its provider closed it). */
  synchronized void remove(Place p) {
    places.remove(p);
  }

  /** The bytes the loaded and loading models take. */
  synchronized long taken() {
    long sum = 0;
    for (Place p : places) {
      sum += p.bytes;
    }
    return sum;
  }

  private ProviderException busy(Path path, long bytes, long physical) {
    var busy = new StringBuilder();
    for (Place p : places) {
      busy.append(busy.isEmpty() ? "" : ", ")
          .append(p.path.getFileName())
          .append(" (")
          .append(KvBudget.mib(p.bytes))
          .append(p.loaded ? ", answering" : ", loading")
          .append(')');
    }
    return new ProviderException(
        Kind.RATE_LIMITED,
        "model file "
            + path.getFileName()
            + " needs "
            + KvBudget.mib(bytes)
            + " of memory, and the local models in use take "
            + KvBudget.mib(taken())
            + " of this machine's "
            + KvBudget.mib(physical)
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

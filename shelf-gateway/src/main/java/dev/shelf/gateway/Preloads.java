package dev.shelf.gateway;

import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.providers.spi.Provider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * Gets the models marked {@code preload} ready ({@link Provider#preload}) whenever a shelf is
 * built: at start and at every reload. Each provider instance and upstream is prepared once; a
 * provider carried over by a reload keeps what it has, a replaced one prepares again. Preloads run
 * one at a time, in the order of the configuration, on a thread of their own (two local models
 * warming up at once would only slow each other down), and the shelf serves meanwhile. What is
 * still running and what failed is kept for readiness and {@code /health}.
 */
final class Preloads implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.preload");

  private record Key(Provider provider, String upstream) {}

  private static final class Job {
    final String deployment;
    volatile boolean dropped;
    volatile boolean ran;
    volatile boolean done;
    volatile @Nullable String error;

    Job(String deployment) {
      this.deployment = deployment;
    }
  }

  private final Map<Key, Job> jobs = new ConcurrentHashMap<>();
  private final ExecutorService runner =
      Executors.newSingleThreadExecutor(
          r -> Thread.ofPlatform().daemon().name("shelf-preload").unstarted(r));

  /**
   * Starts the preloads of {@code shelf} that have not run for its providers. A preload the shelf
   * no longer has (its model dropped or no longer marked, or its provider replaced) is given up
   * first ({@link Provider#unpreload}; a replaced provider's models go when it closes), so that the
   * new ones may take its room; one still waiting to run does not run.
   */
  synchronized void start(Shelf shelf) {
    Map<Key, String> live = new LinkedHashMap<>();
    for (ModelSpec m : shelf.config().models()) {
      Provider p = shelf.providers().get(m.provider());
      if (m.preload() && p != null) {
        live.putIfAbsent(new Key(p, m.upstream()), m.deploymentId());
      }
    }
    for (var it = jobs.entrySet().iterator(); it.hasNext(); ) {
      var job = it.next();
      if (!live.containsKey(job.getKey())) {
        it.remove();
        Job dropped = job.getValue();
        dropped.dropped = true;
        Key key = job.getKey();
        runner.execute(
            () -> {
              if (dropped.ran) { // else it never ran: nothing to give up
                unpreload(key);
              }
            });
      }
    }
    live.forEach(
        (key, deployment) ->
            jobs.computeIfAbsent(
                key,
                k -> {
                  Job job = new Job(deployment);
                  runner.execute(() -> run(k, job));
                  return job;
                }));
  }

  private static void unpreload(Key key) {
    try {
      key.provider().unpreload(key.upstream());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "giving up the preload of " + key.upstream(), e);
    }
  }

  private static void run(Key key, Job job) {
    if (job.dropped) {
      return; // a reload dropped it before its turn
    }
    job.ran = true;
    long start = System.nanoTime();
    try {
      key.provider().preload(key.upstream());
      LOG.log(
          System.Logger.Level.INFO,
          String.format(
              Locale.ROOT,
              "preloaded %s in %.1f s",
              job.deployment,
              (System.nanoTime() - start) / 1e9));
    } catch (RuntimeException e) {
      job.error = e.getMessage() == null ? e.toString() : e.getMessage();
      LOG.log(
          System.Logger.Level.WARNING,
          "preload of " + job.deployment + " failed (its requests will try again): " + job.error);
    } finally {
      job.done = true;
    }
  }

  /** The deployments ({@code provider/upstream}) whose preload has not finished, sorted. */
  List<String> pending() {
    Set<String> out = new TreeSet<>();
    jobs.values()
        .forEach(
            j -> {
              if (!j.done) {
                out.add(j.deployment);
              }
            });
    return List.copyOf(out);
  }

  /** The deployments whose preload failed, with the error. */
  Map<String, String> failed() {
    Map<String, String> out = new TreeMap<>();
    jobs.values()
        .forEach(
            j -> {
              String error = j.error;
              if (j.done && error != null) {
                out.put(j.deployment, error);
              }
            });
    return out;
  }

  @Override
  public void close() {
    runner.shutdownNow();
  }
}

package dev.shelf.gateway.routing;

import dev.shelf.gateway.catalog.Price;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Orders a route's deployments for one request by its strategy; deployments that are cooling down
 * or whose breaker is open go last (they are skipped at send time unless they recovered).
 */
public final class Picker {
  private Picker() {}

  public static List<Deployment> order(Route route, long now) {
    var all = new ArrayList<>(route.targets());
    switch (route.strategy()) {
      case PRIORITY -> all.sort(Comparator.comparingInt((Deployment d) -> d.spec().priority()));
      case WEIGHTED -> weightedShuffle(all);
      case LEAST_BUSY -> {
        java.util.Collections.shuffle(all, ThreadLocalRandom.current());
        all.sort(Comparator.comparingInt((Deployment d) -> d.health().inFlight()));
      }
      case LOWEST_LATENCY -> {
        java.util.Collections.shuffle(all, ThreadLocalRandom.current());
        // Unmeasured deployments first, so every one gets measured; then fastest first.
        all.sort(
            Comparator.comparingDouble(
                (Deployment d) -> {
                  double t = d.health().ttftMillis();
                  return Double.isNaN(t) ? -1 : t;
                }));
      }
      case LOWEST_PRICE ->
          all.sort(
              Comparator.comparingDouble(
                  (Deployment d) -> {
                    Price p = d.spec().price();
                    return p == null ? Double.MAX_VALUE : p.blended();
                  }));
    }
    var healthy = new ArrayList<Deployment>(all.size());
    var resting = new ArrayList<Deployment>();
    for (Deployment d : all) {
      (d.health().available(now) ? healthy : resting).add(d);
    }
    healthy.addAll(resting);
    return healthy;
  }

  /** Weighted random order without replacement (Efraimidis-Spirakis keys). */
  private static void weightedShuffle(List<Deployment> list) {
    var rnd = ThreadLocalRandom.current();
    var keys = new java.util.IdentityHashMap<Deployment, Double>();
    for (Deployment d : list) {
      int w = d.spec().weight();
      keys.put(d, w <= 0 ? Double.NEGATIVE_INFINITY : Math.log(rnd.nextDouble()) / w);
    }
    list.sort(Comparator.comparingDouble((Deployment d) -> keys.get(d)).reversed());
  }
}

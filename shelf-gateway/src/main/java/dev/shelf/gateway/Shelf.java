package dev.shelf.gateway;

import dev.shelf.gateway.catalog.ModelMap;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.config.ShelfConfig.RouteSpec;
import dev.shelf.gateway.config.ShelfConfig.Strategy;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.gateway.routing.DeploymentHealth;
import dev.shelf.gateway.routing.Route;
import dev.shelf.providers.spi.Provider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One immutable snapshot of what is on the shelf: providers, models and routes. A reload builds a
 * new snapshot and swaps it in; requests in flight keep the one they started with.
 */
public final class Shelf {
  private final ShelfConfig config;
  private final Map<String, Provider> providers;
  private final Map<String, Route> routes;

  Shelf(
      ShelfConfig config,
      Map<String, Provider> providers,
      Function<String, DeploymentHealth> health) {
    this.config = config;
    this.providers = Map.copyOf(providers);
    var byModel = new LinkedHashMap<String, List<Deployment>>();
    for (ModelSpec m : config.models()) {
      Provider p = providers.get(m.provider());
      if (p == null) {
        throw new IllegalStateException("no provider " + m.provider());
      }
      byModel
          .computeIfAbsent(m.id(), k -> new ArrayList<>())
          .add(new Deployment(enrich(m), p, health.apply(m.deploymentId())));
    }
    var out = new LinkedHashMap<String, Route>();
    byModel.forEach((id, ds) -> out.put(id, new Route(id, Strategy.PRIORITY, ds, List.of())));
    for (RouteSpec r : config.routes()) {
      var targets = new ArrayList<Deployment>();
      if (r.targets().isEmpty()) {
        targets.addAll(byModel.getOrDefault(r.id(), List.of()));
      }
      for (String t : r.targets()) {
        targets.addAll(byModel.getOrDefault(t, List.of()));
      }
      out.put(r.id(), new Route(r.id(), r.strategy(), targets, r.fallbacks()));
    }
    this.routes = Map.copyOf(out);
    this.order = List.copyOf(out.keySet());
  }

  private final List<String> order;

  /** Fills a model's context window and prices from the built-in model map when not given. */
  static ModelSpec enrich(ModelSpec m) {
    if (m.context() != null && m.price() != null) {
      return m;
    }
    ModelMap.@Nullable Info info = ModelMap.builtIn().find(m.upstream());
    if (info == null) {
      info = ModelMap.builtIn().find(m.id());
    }
    if (info == null) {
      return m;
    }
    return new ModelSpec(
        m.id(),
        m.provider(),
        m.upstream(),
        m.context() != null ? m.context() : info.context() > 0 ? info.context() : null,
        m.maxOutput() != null ? m.maxOutput() : info.maxOutput(),
        m.inputModalities(),
        m.outputModalities(),
        m.capabilities(),
        m.price() != null ? m.price() : info.price(),
        m.weight(),
        m.priority(),
        m.ownedBy(),
        m.preload());
  }

  public ShelfConfig config() {
    return config;
  }

  public Map<String, Provider> providers() {
    return providers;
  }

  public @Nullable Route route(String publicName) {
    return routes.get(publicName);
  }

  /** Public names in configuration order: models first, then routes. */
  public List<String> names() {
    return order;
  }
}

package dev.shelf.gateway.routing;

import dev.shelf.gateway.config.ShelfConfig.Strategy;
import java.util.List;

/**
 * What a public model name resolves to: deployments tried in the strategy's order, then fallback
 * names (each a route of its own) when all of them fail or the prompt does not fit.
 */
public record Route(
    String id, Strategy strategy, List<Deployment> targets, List<String> fallbacks) {
  public Route {
    targets = List.copyOf(targets);
    fallbacks = List.copyOf(fallbacks);
  }
}

package dev.shelf.gateway.routing;

import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.providers.spi.Provider;

/** One shelf model served by one provider, with its live health. */
public record Deployment(ModelSpec spec, Provider provider, DeploymentHealth health) {
  public String id() {
    return spec.deploymentId();
  }
}

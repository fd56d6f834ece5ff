package dev.shelf.gateway.catalog;

import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A model on the shelf as configured: the public {@code id} clients send, the provider that serves
 * it and the upstream's own id for it, and what it can do and costs. Several entries may share an
 * id: each is then one deployment of that model.
 */
public record ModelSpec(
    String id,
    String provider,
    String upstream,
    @Nullable Integer context,
    @Nullable Integer maxOutput,
    List<String> inputModalities,
    List<String> outputModalities,
    Set<String> capabilities,
    @Nullable Price price,
    int weight,
    int priority,
    @Nullable String ownedBy) {

  public ModelSpec {
    inputModalities = List.copyOf(inputModalities);
    outputModalities = List.copyOf(outputModalities);
    capabilities = Set.copyOf(capabilities);
  }

  /** The deployment's name in headers and metrics: {@code provider/upstream}. */
  public String deploymentId() {
    return provider + "/" + upstream;
  }
}

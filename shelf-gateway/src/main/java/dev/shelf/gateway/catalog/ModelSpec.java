package dev.shelf.gateway.catalog;

import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A model on the shelf as configured: the public {@code id} clients send, the provider that serves
 * it and the upstream's own id for it, and what it can do and costs. Several entries may share an
 * id: each is then one deployment of that model.
 *
 * @param preload whether the provider gets the model ready when the shelf is built rather than on
 *     its first request ({@code Provider#preload}: a local model is loaded and warmed up)
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
    @Nullable String ownedBy,
    boolean preload) {

  public ModelSpec {
    inputModalities = List.copyOf(inputModalities);
    outputModalities = List.copyOf(outputModalities);
    capabilities = Set.copyOf(capabilities);
  }

  /** Not preloaded. */
  public ModelSpec(
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
    this(
        id,
        provider,
        upstream,
        context,
        maxOutput,
        inputModalities,
        outputModalities,
        capabilities,
        price,
        weight,
        priority,
        ownedBy,
        false);
  }

  public ModelSpec withPreload(boolean newPreload) {
    return new ModelSpec(
        id,
        provider,
        upstream,
        context,
        maxOutput,
        inputModalities,
        outputModalities,
        capabilities,
        price,
        weight,
        priority,
        ownedBy,
        newPreload);
  }

  /** The deployment's name in headers and metrics: {@code provider/upstream}. */
  public String deploymentId() {
    return provider + "/" + upstream;
  }
}

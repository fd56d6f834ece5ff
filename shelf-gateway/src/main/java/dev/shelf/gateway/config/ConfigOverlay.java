package dev.shelf.gateway.config;

/**
 * Configuration changed at run time through the admin API and kept in the database: providers
 * (credentials decrypted) and models, as a document laid over {@code shelf.yaml}. Every node polls
 * {@link #version()} and reloads when it moves, so a change made on one node reaches all of them
 * within about a second.
 */
public interface ConfigOverlay {
  /** Changes whenever the stored configuration does. */
  long version();

  /** The stored providers and models as a YAML (JSON) document, secrets in the clear. */
  String document();
}

package dev.shelf.providers.spi;

import java.util.Set;

/**
 * Creates providers of one {@link #type()}. Registered in {@code
 * META-INF/services/dev.shelf.providers.spi.ProviderFactory}; adding a vendor needs no edit in the
 * gateway or the server.
 */
public interface ProviderFactory {
  String type();

  /** Preset names this factory accepts in {@code preset:} (may be empty). */
  default Set<String> presets() {
    return Set.of();
  }

  /** Creates the provider, or throws {@link IllegalArgumentException} naming the bad setting. */
  Provider create(ProviderSpec spec);
}

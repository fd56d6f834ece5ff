package dev.shelf.providers.local;

import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.nio.file.Path;

/**
 * Creates {@code local} providers. Options: {@code dir} (where relative model paths are resolved;
 * default the working directory) and {@code threads} (the engine's threads for this provider;
 * default the process-wide pool).
 */
public final class LocalProviderFactory implements ProviderFactory {
  @Override
  public String type() {
    return "local";
  }

  @Override
  public Provider create(ProviderSpec spec) {
    Object dir = spec.options().get("dir");
    Path base = Path.of(dir == null ? "." : dir.toString()).toAbsolutePath().normalize();
    Object t = spec.options().get("threads");
    int threads = 0;
    if (t != null) {
      try {
        threads = Integer.parseInt(t.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "options.threads must be a positive integer but was '" + t + "'", e);
      }
      if (threads < 1) {
        throw new IllegalArgumentException(
            "options.threads must be a positive integer but was " + threads);
      }
    }
    return new LocalProvider(spec.name(), base, threads);
  }
}

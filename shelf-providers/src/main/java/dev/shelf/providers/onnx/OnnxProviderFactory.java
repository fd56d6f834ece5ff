package dev.shelf.providers.onnx;

import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.util.Set;
import java.util.TreeSet;

/**
 * Creates {@code onnx} providers, which serve the {@link BundledModel}s. Option: {@code max_batch},
 * the most inputs embedded in one forward pass (default {@value OnnxProvider#DEFAULT_MAX_BATCH}, 1
 * to {@value #MAX_BATCH_LIMIT}).
 */
public final class OnnxProviderFactory implements ProviderFactory {
  static final int MAX_BATCH_LIMIT = 256;
  private static final Set<String> OPTIONS = Set.of("max_batch");

  @Override
  public String type() {
    return "onnx";
  }

  @Override
  public Provider create(ProviderSpec spec) {
    for (String key : spec.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown option '" + key + "' for an onnx provider; known: " + new TreeSet<>(OPTIONS));
      }
    }
    int maxBatch = OnnxProvider.DEFAULT_MAX_BATCH;
    Object b = spec.options().get("max_batch");
    if (b != null) {
      try {
        maxBatch = Integer.parseInt(b.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "options.max_batch must be an integer from 1 to "
                + MAX_BATCH_LIMIT
                + " but was '"
                + b
                + "'",
            e);
      }
      if (maxBatch < 1 || maxBatch > MAX_BATCH_LIMIT) {
        throw new IllegalArgumentException(
            "options.max_batch must be an integer from 1 to "
                + MAX_BATCH_LIMIT
                + " but was "
                + maxBatch);
      }
    }
    return new OnnxProvider(spec.name(), maxBatch);
  }
}

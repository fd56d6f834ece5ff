package dev.shelf.providers.spi;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A provider as configured in {@code shelf.yaml}: which adapter ({@code type}), optionally which
 * preset of it, where and with what credentials.
 *
 * @param options adapter-specific settings, as plain YAML values
 */
public record ProviderSpec(
    String name,
    String type,
    @Nullable String preset,
    @Nullable String baseUrl,
    @Nullable String apiKey,
    Map<String, String> headers,
    Duration connectTimeout,
    Map<String, Object> options) {

  public ProviderSpec {
    headers = Map.copyOf(headers);
    options = Map.copyOf(options);
  }

  /** Safe for logs: never shows the key. */
  @Override
  public String toString() {
    return "ProviderSpec[name="
        + name
        + ", type="
        + type
        + ", preset="
        + preset
        + ", baseUrl="
        + baseUrl
        + ", apiKey="
        + (apiKey == null ? "none" : "***")
        + "]";
  }
}

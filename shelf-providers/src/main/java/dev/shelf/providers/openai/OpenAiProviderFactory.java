package dev.shelf.providers.openai;

import dev.shelf.providers.http.UpstreamHttp;
import dev.shelf.providers.openai.internal.UpstreamErrors;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.util.LinkedHashMap;
import java.util.Set;

/**
 * Creates {@code openai} providers: {@code type: openai} with a {@code base_url}, or {@code preset:
 * NAME} for a known vendor (the preset gives the base URL, auth style and quirks; {@code base_url}
 * may still override it, e.g. for a regional endpoint).
 */
public final class OpenAiProviderFactory implements ProviderFactory {
  @Override
  public String type() {
    return "openai";
  }

  @Override
  public Set<String> presets() {
    return Presets.all().keySet();
  }

  @Override
  public Provider create(ProviderSpec spec) {
    Preset preset;
    if (spec.preset() != null) {
      Preset p = Presets.get(spec.preset());
      if (p == null) {
        throw new IllegalArgumentException(
            "unknown preset '"
                + spec.preset()
                + "'; known presets: "
                + String.join(", ", new java.util.TreeSet<>(Presets.all().keySet())));
      }
      preset = spec.baseUrl() == null ? p : p.withBaseUrl(spec.baseUrl());
    } else if (spec.baseUrl() != null) {
      preset = Preset.generic(spec.baseUrl());
    } else {
      throw new IllegalArgumentException("needs base_url or preset");
    }
    if (!preset.baseUrl().startsWith("http://") && !preset.baseUrl().startsWith("https://")) {
      throw new IllegalArgumentException(
          "base_url must start with http:// or https:// but was '" + preset.baseUrl() + "'");
    }
    if (preset.keyRequired() && spec.apiKey() == null && spec.preset() != null) {
      throw new IllegalArgumentException(
          "preset '"
              + preset.key()
              + "' needs api_key"
              + (preset.apiKeyEnv() == null ? "" : " (usually ${" + preset.apiKeyEnv() + "})"));
    }
    var headers = new LinkedHashMap<String, String>();
    String key = spec.apiKey();
    if (key != null && !key.isEmpty()) {
      switch (preset.auth()) {
        case BEARER -> headers.put("authorization", "Bearer " + key);
        case HEADER ->
            headers.put(preset.authHeader() == null ? "api-key" : preset.authHeader(), key);
        case NONE -> {}
      }
    }
    headers.putAll(spec.headers());
    return new OpenAiProvider(
        spec.name(),
        preset,
        new UpstreamHttp(
            spec.name(),
            preset.baseUrl(),
            headers,
            spec.connectTimeout(),
            UpstreamErrors::fromStatus));
  }
}

package dev.shelf.providers.anthropic;

import dev.shelf.providers.anthropic.internal.AnthropicErrors;
import dev.shelf.providers.http.UpstreamHttp;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.util.LinkedHashMap;

/**
 * Creates {@code anthropic} providers: Anthropic's Messages API at {@code base_url} (default
 * {@value #DEFAULT_BASE_URL}), authenticated with {@code x-api-key}. See {@link AnthropicOptions}
 * for the options and {@code docs/anthropic.md} for the configuration.
 */
public final class AnthropicProviderFactory implements ProviderFactory {
  public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";

  @Override
  public String type() {
    return "anthropic";
  }

  @Override
  public Provider create(ProviderSpec spec) {
    AnthropicOptions options = AnthropicOptions.from(spec.options());
    String baseUrl = spec.baseUrl() == null ? DEFAULT_BASE_URL : spec.baseUrl();
    if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
      throw new IllegalArgumentException(
          "base_url must start with http:// or https:// but was '" + baseUrl + "'");
    }
    String key = spec.apiKey();
    if ((key == null || key.isEmpty()) && spec.baseUrl() == null) {
      throw new IllegalArgumentException("needs api_key (usually ${ANTHROPIC_API_KEY})");
    }
    var headers = new LinkedHashMap<String, String>();
    if (key != null && !key.isEmpty()) {
      headers.put("x-api-key", key);
    }
    headers.put("anthropic-version", options.version());
    if (options.beta() != null) {
      headers.put("anthropic-beta", options.beta());
    }
    headers.putAll(spec.headers());
    return new AnthropicProvider(
        spec.name(),
        options,
        new UpstreamHttp(
            spec.name(), baseUrl, headers, spec.connectTimeout(), AnthropicErrors::fromStatus),
        () -> System.currentTimeMillis() / 1000);
  }
}

package dev.shelf.providers.gemini;

import dev.shelf.providers.gemini.internal.GeminiErrors;
import dev.shelf.providers.http.UpstreamHttp;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.util.LinkedHashMap;

/**
 * Creates {@code gemini} providers: Google's Gemini API at {@code base_url} (default {@value
 * #DEFAULT_BASE_URL}), authenticated with the {@code x-goog-api-key} header (never a {@code ?key=}
 * query, which would put the key in URLs and logs). See {@link GeminiOptions} for the options and
 * {@code docs/gemini.md} for the configuration.
 */
public final class GeminiProviderFactory implements ProviderFactory {
  public static final String DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";

  @Override
  public String type() {
    return "gemini";
  }

  @Override
  public Provider create(ProviderSpec spec) {
    GeminiOptions options = GeminiOptions.from(spec.options());
    String baseUrl = spec.baseUrl() == null ? DEFAULT_BASE_URL : spec.baseUrl();
    if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
      throw new IllegalArgumentException(
          "base_url must start with http:// or https:// but was '" + baseUrl + "'");
    }
    if (baseUrl.contains("?")) {
      throw new IllegalArgumentException(
          "base_url must not have a query (Shelf adds ?alt=sse) but was '" + baseUrl + "'");
    }
    String key = spec.apiKey();
    if ((key == null || key.isEmpty()) && spec.baseUrl() == null) {
      throw new IllegalArgumentException("needs api_key (usually ${GEMINI_API_KEY})");
    }
    var headers = new LinkedHashMap<String, String>();
    if (key != null && !key.isEmpty()) {
      headers.put("x-goog-api-key", key);
    }
    headers.putAll(spec.headers());
    return new GeminiProvider(
        spec.name(),
        options,
        new UpstreamHttp(
            spec.name(), baseUrl, headers, spec.connectTimeout(), GeminiErrors::fromStatus),
        () -> System.currentTimeMillis() / 1000);
  }
}

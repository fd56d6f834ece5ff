package dev.shelf.providers.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@code options:} of a {@code gemini} provider.
 *
 * @param apiVersion the path segment before {@code models/…}: {@code v1beta} (the default, where
 *     thinking and every newer feature live) or {@code v1}
 * @param safetySettings Gemini's {@code safetySettings} list sent with every chat request (a
 *     request's own {@code safety_settings} field wins), or null to use Gemini's defaults
 */
public record GeminiOptions(String apiVersion, @Nullable JsonNode safetySettings) {
  public static final String DEFAULT_API_VERSION = "v1beta";

  private static final Set<String> KEYS = Set.of("api_version", "safety_settings");

  public GeminiOptions {
    if (!apiVersion.matches("v[0-9a-z]+")) {
      throw new IllegalArgumentException(
          "options.api_version must look like v1beta or v1 but was '" + apiVersion + "'");
    }
  }

  public static GeminiOptions defaults() {
    return new GeminiOptions(DEFAULT_API_VERSION, null);
  }

  /** Reads the options map, failing on an unknown key or a bad value, named. */
  public static GeminiOptions from(Map<String, Object> options) {
    for (String key : options.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown option '"
                + key
                + "'; known options: "
                + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    Object v = options.get("api_version");
    String version = v == null ? DEFAULT_API_VERSION : String.valueOf(v);
    Object s = options.get("safety_settings");
    JsonNode safety = null;
    if (s instanceof List<?> list) {
      safety = Json.MAPPER.valueToTree(list);
      for (JsonNode e : safety) {
        if (!e.path("category").isTextual() || !e.path("threshold").isTextual()) {
          throw new IllegalArgumentException(
              "options.safety_settings entries need a category and a threshold but one was " + e);
        }
      }
    } else if (s != null) {
      throw new IllegalArgumentException(
          "options.safety_settings must be a list of {category, threshold} but was " + s);
    }
    return new GeminiOptions(version, safety);
  }
}

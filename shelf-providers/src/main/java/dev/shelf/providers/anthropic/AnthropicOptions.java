package dev.shelf.providers.anthropic;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@code options:} of an {@code anthropic} provider.
 *
 * @param defaultMaxTokens the {@code max_tokens} sent when the client sets no limit (Anthropic
 *     requires one); with thinking, the thinking budget is added on top
 * @param version the {@code anthropic-version} header
 * @param beta the {@code anthropic-beta} header (comma-separated feature names), or null
 */
public record AnthropicOptions(int defaultMaxTokens, String version, @Nullable String beta) {
  public static final int DEFAULT_MAX_TOKENS = 4096;
  public static final String DEFAULT_VERSION = "2023-06-01";

  private static final Set<String> KEYS =
      Set.of("default_max_tokens", "anthropic_version", "anthropic_beta");

  public AnthropicOptions {
    if (defaultMaxTokens < 1) {
      throw new IllegalArgumentException(
          "options.default_max_tokens must be >= 1 but was " + defaultMaxTokens);
    }
  }

  public static AnthropicOptions defaults() {
    return new AnthropicOptions(DEFAULT_MAX_TOKENS, DEFAULT_VERSION, null);
  }

  /** Reads the options map, failing on an unknown key or a bad value, named. */
  public static AnthropicOptions from(Map<String, Object> options) {
    for (String key : options.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown option '"
                + key
                + "'; known options: "
                + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    int maxTokens = DEFAULT_MAX_TOKENS;
    Object m = options.get("default_max_tokens");
    if (m instanceof Number n && n.doubleValue() == n.intValue()) {
      maxTokens = n.intValue();
    } else if (m instanceof String s) {
      try {
        maxTokens = Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "options.default_max_tokens must be an integer but was '" + s + "'", e);
      }
    } else if (m != null) {
      throw new IllegalArgumentException(
          "options.default_max_tokens must be an integer but was " + m);
    }
    Object v = options.get("anthropic_version");
    String version = v == null ? DEFAULT_VERSION : String.valueOf(v);
    Object b = options.get("anthropic_beta");
    String beta = null;
    if (b instanceof List<?> list) {
      beta = String.join(",", list.stream().map(String::valueOf).toList());
    } else if (b != null) {
      beta = String.valueOf(b);
    }
    return new AnthropicOptions(maxTokens, version, beta == null || beta.isBlank() ? null : beta);
  }
}

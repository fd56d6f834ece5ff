package dev.shelf.providers.openai;

import dev.shelf.providers.openai.Preset.Auth;
import dev.shelf.providers.openai.Preset.MaxTokensField;
import dev.shelf.providers.openai.Preset.Range;
import dev.shelf.providers.openai.Preset.StreamUsage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The OpenAI-compatible vendors Shelf knows, loaded once from {@code presets.yaml}. */
public final class Presets {
  private static final String RESOURCE = "/dev/shelf/providers/openai/presets.yaml";
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "base_url",
          "auth",
          "auth_header",
          "api_key_env",
          "key_required",
          "docs",
          "max_tokens_field",
          "stream_usage",
          "reasoning_field",
          "drop_params",
          "max_n",
          "temperature",
          "top_p",
          "json_schema",
          "tool_choice_required",
          "parallel_tool_calls_param",
          "error_in_body",
          "notes");

  private static final Map<String, Preset> ALL = load();

  private Presets() {}

  public static Map<String, Preset> all() {
    return ALL;
  }

  public static @Nullable Preset get(String key) {
    return ALL.get(key);
  }

  private static Map<String, Preset> load() {
    try (InputStream in = Presets.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      Object root = new Load(LoadSettings.builder().build()).loadFromInputStream(in);
      var out = new LinkedHashMap<String, Preset>();
      for (var e : asMap(root, "presets.yaml").entrySet()) {
        String key = String.valueOf(e.getKey());
        out.put(key, parse(key, asMap(e.getValue(), key)));
      }
      return Map.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Preset parse(String key, Map<?, ?> m) {
    for (Object k : m.keySet()) {
      if (!KEYS.contains(String.valueOf(k))) {
        throw new IllegalStateException("presets.yaml: " + key + ": unknown key '" + k + "'");
      }
    }
    String baseUrl = str(m, "base_url");
    String name = str(m, "name");
    if (baseUrl == null || name == null) {
      throw new IllegalStateException("presets.yaml: " + key + ": name and base_url are required");
    }
    return new Preset(
        key,
        name,
        baseUrl,
        enumOf(Auth.class, str(m, "auth"), Auth.BEARER),
        str(m, "auth_header"),
        str(m, "api_key_env"),
        bool(m, "key_required", true),
        str(m, "docs"),
        enumOf(MaxTokensField.class, str(m, "max_tokens_field"), MaxTokensField.MAX_TOKENS),
        enumOf(StreamUsage.class, str(m, "stream_usage"), StreamUsage.INCLUDE_USAGE),
        orElse(str(m, "reasoning_field"), "reasoning_content"),
        list(m, "drop_params"),
        m.get("max_n") instanceof Number n ? n.intValue() : null,
        range(m.get("temperature")),
        range(m.get("top_p")),
        bool(m, "json_schema", true),
        bool(m, "tool_choice_required", true),
        bool(m, "parallel_tool_calls_param", true),
        bool(m, "error_in_body", false),
        str(m, "notes"));
  }

  private static Map<?, ?> asMap(@Nullable Object o, String where) {
    if (o instanceof Map<?, ?> m) {
      return m;
    }
    throw new IllegalStateException("presets.yaml: " + where + " must be a mapping");
  }

  private static @Nullable String str(Map<?, ?> m, String key) {
    Object v = m.get(key);
    return v == null ? null : String.valueOf(v);
  }

  private static String orElse(@Nullable String v, String dflt) {
    return v == null ? dflt : v;
  }

  private static boolean bool(Map<?, ?> m, String key, boolean dflt) {
    return m.get(key) instanceof Boolean b ? b : dflt;
  }

  private static List<String> list(Map<?, ?> m, String key) {
    var out = new ArrayList<String>();
    if (m.get(key) instanceof List<?> l) {
      l.forEach(v -> out.add(String.valueOf(v)));
    }
    return out;
  }

  private static @Nullable Range range(@Nullable Object o) {
    if (o instanceof Map<?, ?> r
        && r.get("min") instanceof Number min
        && r.get("max") instanceof Number max) {
      return new Range(min.doubleValue(), max.doubleValue());
    }
    return null;
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, @Nullable String v, E dflt) {
    if (v == null) {
      return dflt;
    }
    return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
  }
}

package dev.shelf.gateway.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The built-in map of well-known models ({@code model-map.yaml}): vendor, country, open weights,
 * size, context, modalities, licence, release date and list prices as of the file's date. Shelf
 * uses it to describe shelf models and to filter {@code GET /v1/models}.
 */
public final class ModelMap {
  /** One well-known model. Sizes are in billions of parameters. */
  public record Info(
      String id,
      String name,
      String vendor,
      String family,
      String country,
      boolean openWeights,
      @Nullable Double paramsB,
      @Nullable Double activeParamsB,
      int context,
      @Nullable Integer maxOutput,
      List<String> inputModalities,
      List<String> outputModalities,
      List<String> capabilities,
      @Nullable String license,
      @Nullable String released,
      @Nullable Price price,
      List<String> aliases) {}

  private static final ModelMap BUILT_IN = load();

  private final String asOf;
  private final List<Info> models;
  private final Map<String, Info> byName;

  private ModelMap(String asOf, List<Info> models) {
    this.asOf = asOf;
    this.models = List.copyOf(models);
    this.byName = new HashMap<>();
    for (Info i : models) {
      byName.put(i.id().toLowerCase(Locale.ROOT), i);
      for (String a : i.aliases()) {
        byName.putIfAbsent(a.toLowerCase(Locale.ROOT), i);
      }
    }
  }

  public static ModelMap builtIn() {
    return BUILT_IN;
  }

  public String asOf() {
    return asOf;
  }

  public List<Info> models() {
    return models;
  }

  /**
   * Finds a model by id or alias, case-insensitively; a vendor prefix ({@code qwen/qwen3-8b}) and a
   * GGUF-style suffix after the last {@code :} are tolerated.
   */
  public @Nullable Info find(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    Info i = byName.get(n);
    if (i == null && n.contains("/")) {
      i = byName.get(n.substring(n.lastIndexOf('/') + 1));
    }
    if (i == null && n.lastIndexOf(':') > 0) {
      i = find(n.substring(0, n.lastIndexOf(':')));
    }
    return i;
  }

  private static ModelMap load() {
    String res = "/dev/shelf/gateway/catalog/model-map.yaml";
    try (InputStream in = ModelMap.class.getResourceAsStream(res)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + res);
      }
      Map<?, ?> root = (Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromInputStream(in);
      var list = new ArrayList<Info>();
      if (!(root.get("models") instanceof List<?> entries)) {
        throw new IllegalStateException(res + ": no models list");
      }
      for (Object o : entries) {
        list.add(info((Map<?, ?>) o));
      }
      return new ModelMap(String.valueOf(root.get("as_of")), list);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Info info(Map<?, ?> m) {
    Map<?, ?> mods = m.get("modalities") instanceof Map<?, ?> x ? x : Map.of();
    Price price = null;
    if (m.get("price") instanceof Map<?, ?> p) {
      price =
          new Price(
              num(p.get("input"), 0),
              num(p.get("output"), 0),
              p.get("cached_input") instanceof Number c ? c.doubleValue() : null,
              String.valueOf(p.get("currency") == null ? "USD" : p.get("currency")));
    }
    return new Info(
        String.valueOf(m.get("id")),
        String.valueOf(m.get("name")),
        String.valueOf(m.get("vendor")),
        String.valueOf(m.get("family")),
        String.valueOf(m.get("country")),
        Boolean.TRUE.equals(m.get("open_weights")),
        m.get("params_b") instanceof Number n ? n.doubleValue() : null,
        m.get("active_params_b") instanceof Number n ? n.doubleValue() : null,
        (int) num(m.get("context"), 0),
        m.get("max_output") instanceof Number n ? n.intValue() : null,
        strings(mods.get("input")),
        strings(mods.get("output")),
        strings(m.get("capabilities")),
        m.get("license") == null ? null : String.valueOf(m.get("license")),
        m.get("released") == null ? null : String.valueOf(m.get("released")),
        price,
        strings(m.get("aliases")));
  }

  private static double num(@Nullable Object o, double dflt) {
    return o instanceof Number n ? n.doubleValue() : dflt;
  }

  private static List<String> strings(@Nullable Object o) {
    if (o instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}

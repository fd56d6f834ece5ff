package dev.shelf.server;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.gateway.Shelf;
import dev.shelf.gateway.catalog.ModelMap;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.gateway.routing.Route;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /v1/models}: the shelf's public names as OpenAI model objects, described from the
 * configuration and the built-in model map, filterable by vendor, open weights, size and
 * capability.
 */
final class ModelsView {
  /** One public name with everything known about it. */
  record Entry(
      String id,
      String ownedBy,
      @Nullable String vendor,
      @Nullable Boolean openWeights,
      @Nullable Double paramsB,
      @Nullable Integer context,
      TreeSet<String> capabilities,
      @Nullable Price price,
      List<String> deployments,
      ModelMap.@Nullable Info info) {}

  /** Filters from the query string; each bad value is a 400 naming the parameter. */
  record Filter(
      @Nullable String vendor,
      @Nullable Boolean openWeights,
      @Nullable Double minParams,
      @Nullable String capability) {
    static Filter parse(
        @Nullable String vendor,
        @Nullable String openWeights,
        @Nullable String minParams,
        @Nullable String capability) {
      Boolean ow = null;
      if (openWeights != null) {
        ow =
            switch (openWeights.toLowerCase(Locale.ROOT)) {
              case "true", "1", "yes" -> true;
              case "false", "0", "no" -> false;
              default ->
                  throw ApiException.invalid(
                      "open_weights", "Invalid 'open_weights': expected true or false.");
            };
      }
      Double mp = null;
      if (minParams != null) {
        try {
          mp = Double.parseDouble(minParams.toLowerCase(Locale.ROOT).replace("b", ""));
        } catch (NumberFormatException e) {
          throw ApiException.invalid(
              "min_params",
              "Invalid 'min_params': expected billions of parameters such as 7 or 70b.");
        }
      }
      return new Filter(
          vendor == null ? null : vendor.toLowerCase(Locale.ROOT), ow, mp, capability);
    }

    boolean accepts(Entry e) {
      if (vendor != null
          && (e.vendor() == null || !e.vendor().equals(vendor))
          && !e.ownedBy().equalsIgnoreCase(vendor)) {
        return false;
      }
      if (openWeights != null && !openWeights.equals(e.openWeights())) {
        return false;
      }
      if (minParams != null && (e.paramsB() == null || e.paramsB() < minParams)) {
        return false;
      }
      return capability == null || e.capabilities().contains(capability);
    }
  }

  private ModelsView() {}

  static List<Entry> entries(Shelf shelf) {
    var out = new ArrayList<Entry>();
    for (String name : shelf.names()) {
      Route r = shelf.route(name);
      if (r != null) {
        out.add(entry(name, r));
      }
    }
    return out;
  }

  static @Nullable Entry entry(Shelf shelf, String name) {
    Route r = shelf.route(name);
    return r == null ? null : entry(name, r);
  }

  /**
   * Describes a public name. A model (one or more deployments of the same model) is described as
   * that model. A route over several models is described by what holds whichever model answers:
   * capabilities all of them have, the smallest context window and size, open weights only if all
   * are open; vendor, price and the map's details only when every target agrees.
   */
  private static Entry entry(String name, Route r) {
    var byModel = new java.util.LinkedHashMap<String, Entry>();
    for (Deployment d : r.targets()) {
      byModel.putIfAbsent(d.spec().id(), model(d.spec().id(), d.spec(), r));
    }
    if (byModel.size() == 1) {
      Entry only = byModel.values().iterator().next();
      return new Entry(
          name,
          only.ownedBy(),
          only.vendor(),
          only.openWeights(),
          only.paramsB(),
          only.context(),
          only.capabilities(),
          only.price(),
          only.deployments(),
          only.info());
    }
    List<Entry> parts = List.copyOf(byModel.values());
    TreeSet<String> caps =
        parts.isEmpty() ? new TreeSet<>() : new TreeSet<>(parts.getFirst().capabilities());
    for (Entry e : parts) {
      caps.retainAll(e.capabilities());
    }
    String vendor = same(parts, Entry::vendor);
    Boolean open = same(parts, Entry::openWeights);
    return new Entry(
        name,
        vendor != null ? vendor : "shelf",
        vendor,
        open,
        min(parts, Entry::paramsB),
        minContext(parts),
        caps,
        same(parts, Entry::price),
        r.targets().stream().map(Deployment::id).toList(),
        null);
  }

  /** One model, from its configuration and the model map. */
  private static Entry model(String id, ModelSpec spec, Route r) {
    ModelMap.@Nullable Info info = ModelMap.builtIn().find(id);
    if (info == null) {
      info = ModelMap.builtIn().find(spec.upstream());
    }
    var caps = new TreeSet<String>();
    for (Deployment d : r.targets()) {
      if (d.spec().id().equals(id)) {
        caps.addAll(d.spec().capabilities());
      }
    }
    if (info != null) {
      caps.addAll(info.capabilities());
    }
    String ownedBy =
        spec.ownedBy() != null ? spec.ownedBy() : info != null ? info.vendor() : spec.provider();
    Integer context =
        spec.context() != null
            ? spec.context()
            : info != null && info.context() > 0 ? info.context() : null;
    Price price = spec.price() != null ? spec.price() : info != null ? info.price() : null;
    return new Entry(
        id,
        ownedBy,
        info == null ? null : info.vendor(),
        info == null ? null : info.openWeights(),
        info == null ? null : info.paramsB(),
        context,
        caps,
        price,
        r.targets().stream().filter(d -> d.spec().id().equals(id)).map(Deployment::id).toList(),
        info);
  }

  private static @Nullable Integer minContext(List<Entry> parts) {
    Double d = min(parts, e -> e.context() == null ? null : e.context().doubleValue());
    return d == null ? null : d.intValue();
  }

  private static <T> @Nullable T same(
      List<Entry> parts, java.util.function.Function<Entry, @Nullable T> f) {
    T first = parts.isEmpty() ? null : f.apply(parts.getFirst());
    for (Entry e : parts) {
      if (!java.util.Objects.equals(first, f.apply(e))) {
        return null;
      }
    }
    return first;
  }

  private static @Nullable Double min(
      List<Entry> parts, java.util.function.Function<Entry, @Nullable Double> f) {
    Double min = null;
    for (Entry e : parts) {
      Double v = f.apply(e);
      if (v == null) {
        return null; // unknown for one target: unknown for the route
      }
      min = min == null ? v : Math.min(min, v);
    }
    return min;
  }

  static byte[] list(List<Entry> entries, long created) {
    return Json.write(
        g -> {
          g.writeStartObject();
          g.writeStringField("object", "list");
          g.writeArrayFieldStart("data");
          for (Entry e : entries) {
            write(g, e, created);
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  static byte[] one(Entry e, long created) {
    return Json.write(g -> write(g, e, created));
  }

  private static void write(JsonGenerator g, Entry e, long created) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", e.id());
    g.writeStringField("object", "model");
    g.writeNumberField("created", created);
    g.writeStringField("owned_by", e.ownedBy());
    ModelMap.@Nullable Info info = e.info();
    if (info != null) {
      g.writeStringField("name", info.name());
      g.writeStringField("vendor", info.vendor());
      g.writeStringField("country", info.country());
      g.writeBooleanField("open_weights", info.openWeights());
      if (info.paramsB() != null) {
        g.writeNumberField("params_b", info.paramsB());
      }
      if (info.license() != null) {
        g.writeStringField("license", info.license());
      }
      if (info.released() != null) {
        g.writeStringField("released", info.released());
      }
    }
    if (e.context() != null) {
      g.writeNumberField("context_window", e.context());
    }
    g.writeArrayFieldStart("capabilities");
    for (String c : e.capabilities()) {
      g.writeString(c);
    }
    g.writeEndArray();
    Price p = e.price();
    if (p != null) {
      g.writeObjectFieldStart("pricing");
      g.writeNumberField("input", p.input());
      g.writeNumberField("output", p.output());
      if (p.cachedInput() != null) {
        g.writeNumberField("cached_input", p.cachedInput());
      }
      g.writeStringField("currency", p.currency());
      g.writeStringField("unit", "per_million_tokens");
      g.writeEndObject();
    }
    g.writeArrayFieldStart("deployments");
    for (String d : e.deployments()) {
      g.writeString(d);
    }
    g.writeEndArray();
    g.writeEndObject();
  }
}

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

  private static Entry entry(String name, Route r) {
    ModelSpec spec = r.targets().isEmpty() ? null : r.targets().getFirst().spec();
    ModelMap.@Nullable Info info = ModelMap.builtIn().find(name);
    if (info == null && spec != null) {
      info = ModelMap.builtIn().find(spec.upstream());
    }
    var caps = new TreeSet<String>();
    for (Deployment d : r.targets()) {
      caps.addAll(d.spec().capabilities());
    }
    if (info != null) {
      caps.addAll(info.capabilities());
    }
    String ownedBy =
        spec != null && spec.ownedBy() != null
            ? spec.ownedBy()
            : info != null ? info.vendor() : spec != null ? spec.provider() : "shelf";
    Integer context =
        spec != null && spec.context() != null
            ? spec.context()
            : info != null && info.context() > 0 ? info.context() : null;
    Price price =
        spec != null && spec.price() != null ? spec.price() : info != null ? info.price() : null;
    return new Entry(
        name,
        ownedBy,
        info == null ? null : info.vendor(),
        info == null ? null : info.openWeights(),
        info == null ? null : info.paramsB(),
        context,
        caps,
        price,
        r.targets().stream().map(Deployment::id).toList(),
        info);
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

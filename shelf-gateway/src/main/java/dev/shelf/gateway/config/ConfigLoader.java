package dev.shelf.gateway.config;

import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.config.ShelfConfig.Auth;
import dev.shelf.gateway.config.ShelfConfig.Resilience;
import dev.shelf.gateway.config.ShelfConfig.RouteSpec;
import dev.shelf.gateway.config.ShelfConfig.Server;
import dev.shelf.gateway.config.ShelfConfig.StaticKey;
import dev.shelf.gateway.config.ShelfConfig.Strategy;
import dev.shelf.gateway.config.YamlTree.Entries;
import dev.shelf.gateway.config.YamlTree.Value;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Reads and validates {@code shelf.yaml}. Every problem is reported as a {@link ConfigException}
 * naming the file, the line and the key; nothing half-valid is ever returned.
 */
public final class ConfigLoader {
  private static final Set<String> TOP =
      Set.of(
          "server",
          "auth",
          "providers",
          "models",
          "routes",
          "resilience",
          "database",
          "redis",
          "billing",
          "audit",
          "guard",
          "labels");
  private static final Set<String> DATABASE =
      Set.of("url", "user", "password", "pool", "sqlite_sync");
  private static final Set<String> REDIS = Set.of("url");
  private static final Set<String> BILLING = Set.of("currency", "rates", "retention", "max_batch");
  private static final Set<String> AUDIT = Set.of("default", "retention");
  private static final Set<String> LABELS = Set.of("enabled", "producer", "explicit");
  private static final Set<String> EXPLICIT = Set.of("position", "text");
  private static final Set<String> SERVER =
      Set.of("host", "port", "max_body_bytes", "shutdown_grace", "access_log", "max_in_flight");
  private static final Set<String> AUTH = Set.of("master_key", "keys");
  private static final Set<String> KEY = Set.of("name", "key", "models");
  private static final Set<String> PROVIDER =
      Set.of("type", "preset", "base_url", "api_key", "headers", "connect_timeout", "options");
  private static final Set<String> MODEL =
      Set.of(
          "id",
          "provider",
          "upstream",
          "context",
          "max_output",
          "modalities",
          "capabilities",
          "price",
          "weight",
          "priority",
          "owned_by",
          "preload");
  private static final Set<String> MODALITIES = Set.of("input", "output");
  private static final Set<String> PRICE = Set.of("input", "output", "cached_input", "currency");
  private static final Set<String> ROUTE = Set.of("id", "strategy", "targets", "fallbacks");
  private static final Set<String> RESILIENCE =
      Set.of(
          "max_attempts",
          "backoff_base",
          "backoff_max",
          "connect_timeout",
          "first_token_timeout",
          "total_timeout",
          "breaker_failures",
          "breaker_open",
          "cooldown");
  static final Set<String> CAPABILITIES =
      Set.of("tools", "vision", "json", "reasoning", "embedding", "audio", "completion");

  private final Map<String, String> env;
  private final Map<String, ProviderFactory> factories;

  public ConfigLoader(Map<String, String> env) {
    this.env = env;
    this.factories = new HashMap<>();
    for (ProviderFactory f : ServiceLoader.load(ProviderFactory.class)) {
      factories.put(f.type(), f);
    }
  }

  public Map<String, ProviderFactory> factories() {
    return factories;
  }

  public ShelfConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage());
    }
    return parse(file.toString(), text);
  }

  /**
   * What the shelf holds with no file: the embedding models bundled in the jar (they need no
   * network, key or download, and load on first use), when the {@code onnx} adapter is present.
   */
  static final String BUILT_IN_MODELS =
      """
      providers:
        embed: {type: onnx}
      models:
        - id: all-minilm-l6-v2
          provider: embed
          capabilities: [embedding]
          modalities: {output: [embedding]}
          price: {input: 0, output: 0}
        - id: bge-small-zh-v1.5
          provider: embed
          capabilities: [embedding]
          modalities: {output: [embedding]}
          price: {input: 0, output: 0}
      """;

  /**
   * The configuration when there is no file: on loopback, without keys, with the bundled embedding
   * models ({@link #BUILT_IN_MODELS}) and nothing else. A file replaces all of it.
   */
  public ShelfConfig defaults() {
    return parse("(built-in defaults)", factories.containsKey("onnx") ? BUILT_IN_MODELS : "");
  }

  public ShelfConfig parse(String source, String text) {
    return parse(source, text, null);
  }

  /** The file, or the defaults, with what the admin API stored laid over it. */
  public ShelfConfig load(@Nullable Path file, @Nullable String overlay) {
    if (file == null) {
      return parse(
          "(built-in defaults)", factories.containsKey("onnx") ? BUILT_IN_MODELS : "", overlay);
    }
    try {
      return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8), overlay);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage());
    }
  }

  /**
   * Parses {@code text} and lays {@code overlay} over it: providers and models stored through the
   * admin API (a document holding only {@code providers} and {@code models}, JSON being YAML). An
   * overlay provider replaces the file's of the same name; an overlay model replaces every
   * deployment the file gives its id. The overlay takes no {@code ${ENV}} references: its values
   * are literal.
   */
  public ShelfConfig parse(String source, String text, @Nullable String overlay) {
    Entries root = YamlTree.parse(source, text, env).entries(TOP);
    Entries over =
        overlay == null || overlay.isBlank()
            ? null
            : YamlTree.parse("admin API (database)", overlay, Map.of())
                .entries(Set.of("providers", "models"));
    Resilience resilience = resilience(root.opt("resilience"));
    Map<String, ProviderSpec> providers = providers(root.opt("providers"), resilience);
    if (over != null) {
      providers.putAll(providers(over.opt("providers"), resilience));
    }
    List<ModelSpec> models = models(root.opt("models"), providers);
    if (over != null) {
      List<ModelSpec> stored = models(over.opt("models"), providers);
      var ids = new HashSet<String>();
      stored.forEach(m -> ids.add(m.id()));
      var merged = new ArrayList<ModelSpec>();
      models.stream().filter(m -> !ids.contains(m.id())).forEach(merged::add);
      merged.addAll(stored);
      models = merged;
    }
    List<RouteSpec> routes = routes(root.opt("routes"), models);
    return new ShelfConfig(
        source,
        server(root.opt("server")),
        auth(root.opt("auth")),
        providers,
        models,
        routes,
        resilience,
        storage(root.opt("database"), root.opt("redis")),
        billing(root.opt("billing"), models),
        audit(root.opt("audit")),
        labels(root.opt("labels")),
        root.opt("guard"));
  }

  private static ShelfConfig.Audit audit(@Nullable Value v) {
    var d = ShelfConfig.Audit.defaults();
    if (v == null) {
      return d;
    }
    Entries m = v.entries(AUDIT);
    AuditMode mode = d.defaultMode();
    String given = m.str("default");
    if (given != null) {
      try {
        mode = AuditMode.parse(given);
      } catch (IllegalArgumentException e) {
        throw m.req("default").error(String.valueOf(e.getMessage()));
      }
    }
    return new ShelfConfig.Audit(mode, retention(m, d.retention()));
  }

  /** {@code retention}: a duration, {@code null} to keep forever, absent for the default. */
  private static java.time.@Nullable Duration retention(
      Entries m, java.time.@Nullable Duration dflt) {
    for (var e : m.entrySet()) {
      if (e.getKey().equals("retention")) {
        return e.getValue().isNull() ? null : e.getValue().duration();
      }
    }
    return dflt;
  }

  private static ShelfConfig.Labels labels(@Nullable Value v) {
    var d = ShelfConfig.Labels.defaults();
    if (v == null) {
      return d;
    }
    Entries m = v.entries(LABELS);
    String producer = m.str("producer", d.producer()).strip();
    if (producer.isEmpty() || producer.length() > 256) {
      throw m.req("producer").error("must be 1 to 256 characters");
    }
    ShelfConfig.LabelPosition position = d.explicitPosition();
    String text = d.explicitText();
    Value ev = m.opt("explicit");
    if (ev != null) {
      Entries e = ev.entries(EXPLICIT);
      Value pv = e.opt("position");
      if (pv != null) {
        String p = pv.string().trim();
        try {
          position = ShelfConfig.LabelPosition.valueOf(p.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
          throw pv.error("must be off, start or end but was '" + p + "'");
        }
      }
      text = e.str("text", text);
      if (text.isBlank()) {
        throw e.req("text").error("must not be blank");
      }
    }
    return new ShelfConfig.Labels(m.bool("enabled", d.enabled()), producer, position, text);
  }

  private static ShelfConfig.Storage storage(@Nullable Value db, @Nullable Value redis) {
    var d = ShelfConfig.Storage.defaults();
    String url = null;
    String user = null;
    String password = null;
    int pool = d.databasePool();
    boolean fullSync = d.sqliteFullSync();
    if (db != null) {
      Entries m = db.entries(DATABASE);
      url = m.str("url");
      if (url != null && !url.startsWith("jdbc:postgresql:")) {
        throw m.req("url")
            .error(
                "must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db); leave it out"
                    + " for SQLite in the data directory");
      }
      user = m.str("user");
      password = m.str("password");
      pool = m.integer("pool", 1, 1000, pool);
      String sync = m.str("sqlite_sync", "normal");
      if (!sync.equals("normal") && !sync.equals("full")) {
        throw m.req("sqlite_sync").error("must be normal or full but was '" + sync + "'");
      }
      fullSync = sync.equals("full");
    }
    String redisUrl = null;
    if (redis != null) {
      Entries m = redis.entries(REDIS);
      redisUrl = m.str("url");
      if (redisUrl != null && !redisUrl.matches("rediss?://.+")) {
        throw m.req("url").error("must look like redis://host:port");
      }
    }
    return new ShelfConfig.Storage(url, user, password, pool, redisUrl, d.keyCacheTtl(), fullSync);
  }

  private static ShelfConfig.Billing billing(@Nullable Value v, List<ModelSpec> models) {
    var d = ShelfConfig.Billing.defaults();
    String currency = d.currency();
    Map<String, Double> rates = d.rates();
    java.time.Duration retention = d.retention();
    int maxBatch = d.maxBatch();
    if (v != null) {
      Entries m = v.entries(BILLING);
      currency = m.str("currency", currency);
      if (!currency.matches("[A-Z]{3}")) {
        throw m.req("currency").error("must be an ISO 4217 code such as USD or CNY");
      }
      Value rv = m.opt("rates");
      if (rv != null) {
        var r = new LinkedHashMap<String, Double>();
        for (var e : rv.entries(Set.of()).entrySet()) {
          r.put(e.getKey(), e.getValue().number(0, 1e9));
        }
        rates = r;
      }
      retention = retention(m, retention);
      maxBatch = m.integer("max_batch", 1, 100_000, maxBatch);
    }
    for (ModelSpec ms : models) {
      Price p = ms.price();
      if (p != null && !p.currency().equals(currency) && !rates.containsKey(p.currency())) {
        throw new ConfigException(
            "billing: rates: no rate from "
                + p.currency()
                + " (the price of model "
                + ms.id()
                + ") into "
                + currency);
      }
    }
    return new ShelfConfig.Billing(currency, rates, retention, maxBatch);
  }

  private static Server server(@Nullable Value v) {
    if (v == null) {
      return new Server("127.0.0.1", 8080, 32L * 1024 * 1024, Duration.ofSeconds(30), true);
    }
    Entries m = v.entries(SERVER);
    return new Server(
        m.str("host", "127.0.0.1"),
        m.integer("port", 0, 65535, 8080),
        m.integer("max_body_bytes", 1024, Integer.MAX_VALUE, 32 * 1024 * 1024),
        m.duration("shutdown_grace", Duration.ofSeconds(30)),
        m.bool("access_log", true),
        m.integer("max_in_flight", 1, 1_000_000, Server.DEFAULT_MAX_IN_FLIGHT));
  }

  private static Auth auth(@Nullable Value v) {
    if (v == null) {
      return new Auth(null, List.of());
    }
    Entries m = v.entries(AUTH);
    String master = m.str("master_key");
    if (master != null && !master.isEmpty() && master.length() < 16) {
      throw m.req("master_key").error("must be at least 16 characters long");
    }
    var keys = new ArrayList<StaticKey>();
    Value kv = m.opt("keys");
    if (kv != null) {
      var seen = new HashSet<String>();
      for (Value k : kv.list()) {
        Entries km = k.entries(KEY);
        String key = km.req("key").string();
        if (key.length() < 16) {
          throw km.req("key").error("must be at least 16 characters long");
        }
        if (!seen.add(key)) {
          throw km.req("key").error("the same key is listed twice");
        }
        keys.add(new StaticKey(km.str("name", "key-" + keys.size()), key, km.strings("models")));
      }
    }
    return new Auth(master == null || master.isEmpty() ? null : master, keys);
  }

  private Map<String, ProviderSpec> providers(@Nullable Value v, Resilience r) {
    var out = new LinkedHashMap<String, ProviderSpec>();
    if (v == null) {
      return out;
    }
    for (var e : v.entries(Set.of()).entrySet()) {
      String name = e.getKey();
      Value pv = e.getValue();
      if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.\\-]*")) {
        throw pv.error("provider names use letters, digits, '-', '_' and '.'");
      }
      Entries m = pv.entries(PROVIDER);
      String preset = m.str("preset");
      String type = m.str("type", preset != null ? "openai" : "");
      if (type.isEmpty()) {
        throw pv.error(
            "needs 'type' (one of " + new TreeSet<>(factories.keySet()) + ") or 'preset'");
      }
      ProviderFactory f = factories.get(type);
      if (f == null) {
        throw Objects.requireNonNullElse(m.opt("type"), pv)
            .error(
                "unknown provider type '"
                    + type
                    + "'; known types: "
                    + new TreeSet<>(factories.keySet()));
      }
      if (preset != null && !f.presets().contains(preset)) {
        throw m.req("preset")
            .error("unknown preset '" + preset + "'; known presets: " + new TreeSet<>(f.presets()));
      }
      var headers = new LinkedHashMap<String, String>();
      Value hv = m.opt("headers");
      if (hv != null) {
        hv.entries(Set.of())
            .entrySet()
            .forEach(h -> headers.put(h.getKey(), h.getValue().string()));
      }
      var options = new LinkedHashMap<String, Object>();
      Value ov = m.opt("options");
      if (ov != null) {
        ov.entries(Set.of()).entrySet().forEach(o -> options.put(o.getKey(), o.getValue().plain()));
      }
      String key = m.str("api_key");
      var spec =
          new ProviderSpec(
              name,
              type,
              preset,
              m.str("base_url"),
              key == null || key.isEmpty() ? null : key,
              headers,
              m.duration("connect_timeout", r.connectTimeout()),
              options);
      try {
        f.create(spec).close(); // validate now, with the place to blame
      } catch (IllegalArgumentException ex) {
        throw pv.error(String.valueOf(ex.getMessage()));
      }
      out.put(name, spec);
    }
    return out;
  }

  private static List<ModelSpec> models(@Nullable Value v, Map<String, ProviderSpec> providers) {
    var out = new ArrayList<ModelSpec>();
    if (v == null) {
      return out;
    }
    var seen = new HashSet<String>();
    for (Value mv : v.list()) {
      Entries m = mv.entries(MODEL);
      String id = m.req("id").string();
      if (id.isBlank() || id.length() > 256) {
        throw m.req("id").error("must be 1 to 256 characters");
      }
      String provider = m.req("provider").string();
      if (!providers.containsKey(provider)) {
        throw m.req("provider")
            .error(
                "unknown provider '"
                    + provider
                    + "'; providers in this file: "
                    + new TreeSet<>(providers.keySet()));
      }
      String upstream = m.str("upstream", id);
      if (!seen.add(id + "\u0000" + provider + "\u0000" + upstream)) {
        throw mv.error("model '" + id + "' is listed twice for provider '" + provider + "'");
      }
      List<String> in = List.of("text");
      List<String> outMods = List.of("text");
      Value modalities = m.opt("modalities");
      if (modalities != null) {
        Entries mm = modalities.entries(MODALITIES);
        if (mm.opt("input") != null) {
          in = mm.strings("input");
        }
        if (mm.opt("output") != null) {
          outMods = mm.strings("output");
        }
      }
      Set<String> caps = new TreeSet<>();
      Value cv = m.opt("capabilities");
      if (cv != null) {
        for (Value c : cv.list()) {
          String cap = c.string();
          if (!CAPABILITIES.contains(cap)) {
            throw c.error(
                "unknown capability '" + cap + "'; known: " + new TreeSet<>(CAPABILITIES));
          }
          caps.add(cap);
        }
      }
      out.add(
          new ModelSpec(
              id,
              provider,
              upstream,
              m.integer("context", 1, Integer.MAX_VALUE),
              m.integer("max_output", 1, Integer.MAX_VALUE),
              in,
              outMods,
              caps,
              price(m.opt("price")),
              m.integer("weight", 0, 1_000_000, 1),
              m.integer("priority", -1000, 1000, 0),
              m.str("owned_by"),
              m.bool("preload", false)));
    }
    return out;
  }

  private static @Nullable Price price(@Nullable Value v) {
    if (v == null) {
      return null;
    }
    Entries m = v.entries(PRICE);
    String currency = m.str("currency", "USD").toUpperCase(Locale.ROOT);
    if (!currency.matches("[A-Z]{3}")) {
      throw m.req("currency").error("must be a three-letter currency code such as USD or CNY");
    }
    Value cached = m.opt("cached_input");
    return new Price(
        m.req("input").number(0, 1e6),
        m.req("output").number(0, 1e6),
        cached == null ? null : cached.number(0, 1e6),
        currency);
  }

  private static List<RouteSpec> routes(@Nullable Value v, List<ModelSpec> models) {
    var out = new ArrayList<RouteSpec>();
    if (v == null) {
      return out;
    }
    var ids = new HashSet<String>();
    models.forEach(m -> ids.add(m.id()));
    var routeIds = new HashSet<String>();
    List<Value> list = v.list();
    for (Value rv : list) {
      Entries m = rv.entries(ROUTE);
      String id = m.req("id").string();
      if (!routeIds.add(id)) {
        throw m.req("id").error("route '" + id + "' is defined twice");
      }
    }
    for (Value rv : list) {
      Entries m = rv.entries(ROUTE);
      String id = m.req("id").string();
      Strategy strategy = Strategy.PRIORITY;
      Value sv = m.opt("strategy");
      if (sv != null) {
        String s = sv.string();
        try {
          strategy = Strategy.valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
          throw sv.error(
              "unknown strategy '"
                  + s
                  + "'; expected priority, weighted, least-busy,"
                  + " lowest-latency or lowest-price");
        }
      }
      List<String> targets = m.strings("targets");
      if (targets.isEmpty() && !ids.contains(id)) {
        throw rv.error("needs 'targets' (models on the shelf), or an id that is a model");
      }
      for (String t : targets) {
        if (!ids.contains(t)) {
          throw m.req("targets").error("target '" + t + "' is not a model on the shelf");
        }
      }
      List<String> fallbacks = m.strings("fallbacks");
      for (String f : fallbacks) {
        if (!ids.contains(f) && !routeIds.contains(f)) {
          throw m.req("fallbacks")
              .error("fallback '" + f + "' is not a model or route on the shelf");
        }
      }
      out.add(new RouteSpec(id, strategy, targets, fallbacks));
    }
    return out;
  }

  private static Resilience resilience(@Nullable Value v) {
    Resilience d = Resilience.defaults();
    if (v == null) {
      return d;
    }
    Entries m = v.entries(RESILIENCE);
    return new Resilience(
        m.integer("max_attempts", 1, 20, d.maxAttempts()),
        m.duration("backoff_base", d.backoffBase()),
        m.duration("backoff_max", d.backoffMax()),
        m.duration("connect_timeout", d.connectTimeout()),
        m.duration("first_token_timeout", d.firstTokenTimeout()),
        m.duration("total_timeout", d.totalTimeout()),
        m.integer("breaker_failures", 1, 1000, d.breakerFailures()),
        m.duration("breaker_open", d.breakerOpen()),
        m.duration("cooldown", d.cooldown()));
  }
}

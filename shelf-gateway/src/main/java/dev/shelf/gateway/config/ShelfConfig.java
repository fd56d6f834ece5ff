package dev.shelf.gateway.config;

import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.providers.spi.ProviderSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything {@code shelf.yaml} says, validated. See README's configuration reference. {@code
 * guard} is the raw {@code guard:} section, which shelf-guard reads (with the same file and line
 * errors).
 */
public record ShelfConfig(
    String source,
    Server server,
    Auth auth,
    Map<String, ProviderSpec> providers,
    List<ModelSpec> models,
    List<RouteSpec> routes,
    Resilience resilience,
    Storage storage,
    Billing billing,
    Audit audit,
    Labels labels,
    YamlTree.@Nullable Value guard) {

  /** With the default content audit settings. */
  public ShelfConfig(
      String source,
      Server server,
      Auth auth,
      Map<String, ProviderSpec> providers,
      List<ModelSpec> models,
      List<RouteSpec> routes,
      Resilience resilience,
      Storage storage,
      Billing billing) {
    this(
        source,
        server,
        auth,
        providers,
        models,
        routes,
        resilience,
        storage,
        billing,
        Audit.defaults(),
        Labels.defaults(),
        null);
  }

  public ShelfConfig {
    providers = Map.copyOf(providers);
    models = List.copyOf(models);
    routes = List.copyOf(routes);
  }

  public ShelfConfig withServer(Server s) {
    return new ShelfConfig(
        source,
        s,
        auth,
        providers,
        models,
        routes,
        resilience,
        storage,
        billing,
        audit,
        labels,
        guard);
  }

  public ShelfConfig withAuth(Auth a) {
    return new ShelfConfig(
        source,
        server,
        a,
        providers,
        models,
        routes,
        resilience,
        storage,
        billing,
        audit,
        labels,
        guard);
  }

  /** With these providers and models (routes and everything else unchanged). */
  public ShelfConfig withShelf(Map<String, ProviderSpec> ps, List<ModelSpec> ms) {
    return new ShelfConfig(
        source, server, auth, ps, ms, routes, resilience, storage, billing, audit, labels, guard);
  }

  public ShelfConfig withStorage(Storage st) {
    return new ShelfConfig(
        source,
        server,
        auth,
        providers,
        models,
        routes,
        resilience,
        st,
        billing,
        audit,
        labels,
        guard);
  }

  /**
   * Where durable state lives: {@code databaseUrl} null means SQLite in the data directory; a JDBC
   * PostgreSQL URL shares it between nodes. {@code redisUrl} null keeps limit counters in process.
   * {@code keyCacheTtl} bounds how long a key change takes to reach every node. {@code
   * sqliteFullSync} makes SQLite fsync every commit (surviving power loss), where by default a
   * commit survives the process being killed but may be lost with the machine.
   */
  public record Storage(
      @Nullable String databaseUrl,
      @Nullable String databaseUser,
      @Nullable String databasePassword,
      int databasePool,
      @Nullable String redisUrl,
      Duration keyCacheTtl,
      boolean sqliteFullSync) {
    public static Storage defaults() {
      return new Storage(null, null, null, 10, null, Duration.ofSeconds(1), false);
    }

    @Override
    public String toString() {
      return "Storage[database="
          + databaseUrl
          + ", redis="
          + (redisUrl == null ? null : "set")
          + "]";
    }
  }

  /**
   * Billing: the currency budgets and costs are kept in, rates converting other currencies' prices
   * into it, how long raw usage records are kept, and the group-commit batch.
   */
  public record Billing(
      String currency, Map<String, Double> rates, @Nullable Duration retention, int maxBatch) {
    public Billing {
      rates = Map.copyOf(rates);
    }

    public static Billing defaults() {
      return new Billing("USD", Map.of("CNY", 0.14), Duration.ofDays(90), 512);
    }
  }

  /**
   * The content audit: the mode of teams that set none ({@code audit.default}), and how long
   * records are kept ({@code audit.retention}; null keeps them forever).
   */
  public record Audit(AuditMode defaultMode, @Nullable Duration retention) {
    public static Audit defaults() {
      return new Audit(AuditMode.HASHED, Duration.ofDays(30));
    }
  }

  /**
   * AIGC labels (GB 45438-2025): when {@code enabled}, every generated answer carries the implicit
   * label with {@code producer} as its {@code ContentProducer}; {@code explicitPosition} puts a
   * visible notice ({@code explicitText}) at the start or the end of the generated text, or
   * nowhere.
   */
  public record Labels(
      boolean enabled, String producer, LabelPosition explicitPosition, String explicitText) {
    public static final String DEFAULT_PRODUCER = "Shelf";
    public static final String DEFAULT_TEXT = "本内容由人工智能生成 / AI-generated content";

    public static Labels defaults() {
      return new Labels(true, DEFAULT_PRODUCER, LabelPosition.OFF, DEFAULT_TEXT);
    }
  }

  /** Where an explicit AIGC label goes in the generated text. */
  public enum LabelPosition {
    OFF,
    START,
    END
  }

  public record Server(
      String host,
      int port,
      long maxBodyBytes,
      Duration shutdownGrace,
      boolean accessLog,
      int maxInFlight) {
    public static final int DEFAULT_MAX_IN_FLIGHT = 4096;

    public Server(
        String host, int port, long maxBodyBytes, Duration shutdownGrace, boolean accessLog) {
      this(host, port, maxBodyBytes, shutdownGrace, accessLog, DEFAULT_MAX_IN_FLIGHT);
    }

    public Server withHostPort(String newHost, int newPort) {
      return new Server(newHost, newPort, maxBodyBytes, shutdownGrace, accessLog, maxInFlight);
    }
  }

  /** Keys: a master key (administers, and may call everything) and static client keys. */
  public record Auth(@Nullable String masterKey, List<StaticKey> keys) {
    public Auth {
      keys = List.copyOf(keys);
    }

    public boolean open() {
      return masterKey == null && keys.isEmpty();
    }
  }

  /** A client key from the file; {@code models} empty means every model. */
  public record StaticKey(String name, String key, List<String> models) {
    public StaticKey {
      models = List.copyOf(models);
    }

    @Override
    public String toString() {
      return "StaticKey[name=" + name + "]";
    }
  }

  /** A public name served by several shelf models. */
  public record RouteSpec(
      String id, Strategy strategy, List<String> targets, List<String> fallbacks) {
    public RouteSpec {
      targets = List.copyOf(targets);
      fallbacks = List.copyOf(fallbacks);
    }
  }

  public enum Strategy {
    PRIORITY,
    WEIGHTED,
    LEAST_BUSY,
    LOWEST_LATENCY,
    LOWEST_PRICE
  }

  /** Retries, timeouts and circuit breaking, for every deployment. */
  public record Resilience(
      int maxAttempts,
      Duration backoffBase,
      Duration backoffMax,
      Duration connectTimeout,
      Duration firstTokenTimeout,
      Duration totalTimeout,
      int breakerFailures,
      Duration breakerOpen,
      Duration cooldown) {

    public static Resilience defaults() {
      return new Resilience(
          3,
          Duration.ofMillis(50),
          Duration.ofSeconds(2),
          Duration.ofSeconds(5),
          Duration.ofSeconds(60),
          Duration.ofMinutes(10),
          5,
          Duration.ofSeconds(30),
          Duration.ofSeconds(5));
    }
  }
}

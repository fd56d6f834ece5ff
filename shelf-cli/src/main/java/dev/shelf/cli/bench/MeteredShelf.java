package dev.shelf.cli.bench;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.limits.LocalCounters;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Budget;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.server.ShelfServer;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiLedger;
import dev.shelf.store.JdbiTenancyStore;
import dev.shelf.store.RedisCounters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A second Shelf in front of the same stub, with accounts on: a stored key whose key and team have
 * rpm, tpm, concurrency and monthly budget limits set far above what the benchmark can reach, so
 * every request takes the whole metered path (key lookup through the cache, admission with its
 * counters, the budget reservation, the group-commit ledger record before the last byte, the
 * settlement) and none is refused. Accounts live in SQLite in a temporary directory (in-process
 * counters), or in a fresh PostgreSQL database with Redis counters; both are removed at close.
 */
final class MeteredShelf implements AutoCloseable {
  /** What the limits are set to: high enough never to refuse, present so they are checked. */
  private static final Limits HIGH = new Limits(1_000_000_000, 1_000_000_000, 100_000);

  private final String store;
  private final ShelfRuntime runtime;
  private final ShelfServer server;
  private final Accounts accounts;
  private final JdbiLedger ledger;
  private final String key;
  private final @Nullable Path dir;
  private final @Nullable String pgAdminUrl;
  private final @Nullable String pgDatabase;

  private MeteredShelf(
      String store,
      ShelfRuntime runtime,
      ShelfServer server,
      Accounts accounts,
      JdbiLedger ledger,
      String key,
      @Nullable Path dir,
      @Nullable String pgAdminUrl,
      @Nullable String pgDatabase) {
    this.store = store;
    this.runtime = runtime;
    this.server = server;
    this.accounts = accounts;
    this.ledger = ledger;
    this.key = key;
    this.dir = dir;
    this.pgAdminUrl = pgAdminUrl;
    this.pgDatabase = pgDatabase;
  }

  /**
   * Starts Shelf with accounts in {@code store} ({@code sqlite} or {@code postgres}); {@code pgUrl}
   * names a database on the PostgreSQL server to create the fresh one next to.
   */
  static MeteredShelf start(String store, int stubPort, String pgUrl, String redisUrl)
      throws IOException, SQLException {
    Path dir = null;
    String pgDatabase = null;
    Database db;
    Counters counters;
    if (store.equals("sqlite")) {
      dir = Files.createTempDirectory("shelf-bench-accounts");
      db = Database.sqlite(dir.resolve("shelf.db"));
      counters = new LocalCounters();
    } else if (store.equals("postgres")) {
      pgDatabase = "shelf_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      admin(pgUrl, "CREATE DATABASE " + pgDatabase);
      db = Database.postgres(sibling(pgUrl, pgDatabase), "postgres", null, 10);
      counters = new RedisCounters(redisUrl, "shelf-bench-" + pgDatabase + ":");
    } else {
      throw new IllegalArgumentException("accounts must be sqlite or postgres but was " + store);
    }
    var ledger = new JdbiLedger(db);
    var accounts = new Accounts(new JdbiTenancyStore(db), ledger, counters, db);
    String secret = KeySecrets.newKey();
    long now = System.currentTimeMillis();
    var budget = new Budget(Money.parse("1000000"), Budget.Period.MONTH);
    Team team =
        accounts
            .store()
            .createTeam(
                new Team(KeySecrets.newId("team"), "bench", List.of(), HIGH, budget, null, now));
    accounts
        .store()
        .createKey(
            new ApiKey(
                KeySecrets.newId("key"),
                team.id(),
                null,
                "bench",
                KeySecrets.prefix(secret),
                KeySecrets.hash(secret),
                false,
                List.of(),
                HIGH,
                budget,
                null,
                null,
                now));
    var runtime =
        ShelfRuntime.of(new ConfigLoader(Map.of()).parse("bench", BenchRig.yaml(stubPort, null)));
    ShelfServer server;
    try {
      server = ShelfServer.start(runtime, accounts, null);
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
    return new MeteredShelf(
        store, runtime, server, accounts, ledger, secret, dir, pgUrl, pgDatabase);
  }

  String store() {
    return store;
  }

  /** A short description for reports. */
  String title() {
    return store.equals("sqlite")
        ? "accounts on SQLite (WAL, synchronous=NORMAL), in-process counters"
        : "accounts on PostgreSQL (synchronous_commit=on), Redis counters";
  }

  int port() {
    return server.port();
  }

  /** The stored key's secret, which clients send. */
  String key() {
    return key;
  }

  /** The request bytes, sent with the stored key. */
  byte[] request(boolean stream) {
    return HttpLoad.post(
        port(), BenchRig.PATH, stream ? BenchRig.STREAM_JSON : BenchRig.WHOLE_JSON, key);
  }

  /** Records in the ledger so far: each completed request committed one. */
  long recorded() {
    return ledger.count();
  }

  @Override
  public void close() throws Exception {
    try {
      server.stop();
      runtime.close();
    } finally {
      accounts.close();
      if (dir != null) {
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      if (pgAdminUrl != null && pgDatabase != null) {
        admin(pgAdminUrl, "DROP DATABASE IF EXISTS " + pgDatabase + " WITH (FORCE)");
      }
    }
  }

  /** The URL of database {@code name} on the server that {@code url} points at. */
  static String sibling(String url, String name) {
    int slash = url.lastIndexOf('/');
    int query = url.indexOf('?', slash);
    return url.substring(0, slash + 1) + name + (query < 0 ? "" : url.substring(query));
  }

  private static void admin(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}

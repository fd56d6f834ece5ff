package dev.shelf.store;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.limits.LocalCounters;
import java.nio.file.Path;

/** Opens the configured stores: SQLite or PostgreSQL, in-process or Redis counters. */
public final class Stores {
  private Stores() {}

  public static Accounts open(ShelfConfig.Storage storage, Path dataDir) {
    Database db = Database.open(storage, dataDir);
    String redis = storage.redisUrl();
    Counters counters;
    try {
      counters = redis == null ? new LocalCounters() : new RedisCounters(redis);
    } catch (RuntimeException e) {
      db.close();
      throw new IllegalStateException("cannot reach Redis at " + redis + ": " + e.getMessage(), e);
    }
    return new Accounts(new JdbiTenancyStore(db), new JdbiLedger(db), counters, db);
  }
}

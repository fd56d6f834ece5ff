package dev.shelf.store;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.config.SecretBox;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.limits.LocalCounters;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** Opens the configured stores: SQLite or PostgreSQL, in-process or Redis counters. */
public final class Stores {
  private Stores() {}

  public static Accounts open(ShelfConfig.Storage storage, Path dataDir) {
    return open(storage, dataDir, null);
  }

  /** With stored providers and models when {@code box} (the secret key) is given. */
  public static Accounts open(ShelfConfig.Storage storage, Path dataDir, @Nullable SecretBox box) {
    Database db = Database.open(storage, dataDir);
    String redis = storage.redisUrl();
    Counters counters;
    try {
      counters = redis == null ? new LocalCounters() : new RedisCounters(redis);
    } catch (RuntimeException e) {
      db.close();
      throw new IllegalStateException("cannot reach Redis at " + redis + ": " + e.getMessage(), e);
    }
    return new Accounts(
        new JdbiTenancyStore(db),
        new JdbiLedger(db),
        counters,
        box == null ? null : new JdbiConfigStore(db, box),
        db,
        new JdbiContentAudit(db),
        new JdbiComplaints(db));
  }
}

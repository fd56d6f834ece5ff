package dev.shelf.server;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiLedger;
import dev.shelf.store.JdbiTenancyStore;
import dev.shelf.store.RedisCounters;
import dev.shelf.store.testing.TestServices;

/** Accounts at scale: a fresh PostgreSQL database and Redis counters under a fresh prefix. */
class PostgresRedisAccountsTest extends AccountsContract {
  private @org.jspecify.annotations.Nullable Database database;

  @Override
  ShelfHarness start(String yaml) {
    String url = TestServices.newPostgresUrl();
    Database db = Database.postgres(url, "postgres", null, 8);
    this.database = db;
    var counters =
        new RedisCounters(TestServices.redisUrl(), "shelf-test:" + KeySecrets.random(10) + ":");
    AutoCloseable resources =
        () -> {
          db.close();
          TestServices.dropPostgres(url);
        };
    return ShelfHarness.withAccounts(
        yaml, new Accounts(new JdbiTenancyStore(db), new JdbiLedger(db), counters, resources));
  }

  @org.junit.jupiter.api.Test
  void runsOnPostgresAndRedis() {
    org.assertj.core.api.Assertions.assertThat(shelf.accounts().counters())
        .isInstanceOf(RedisCounters.class);
    org.assertj.core.api.Assertions.assertThat(
            java.util.Objects.requireNonNull(database).postgres())
        .isTrue();
  }
}

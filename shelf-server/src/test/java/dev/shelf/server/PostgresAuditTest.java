package dev.shelf.server;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiComplaints;
import dev.shelf.store.JdbiContentAudit;
import dev.shelf.store.JdbiLedger;
import dev.shelf.store.JdbiTenancyStore;
import dev.shelf.store.RedisCounters;
import dev.shelf.store.testing.TestServices;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The content audit and complaints on a fresh PostgreSQL database, with Redis counters. */
class PostgresAuditTest extends AuditContract {
  private @Nullable Database db;

  @Override
  ShelfHarness start(String yaml) {
    String url = TestServices.newPostgresUrl();
    Database d = Database.postgres(url, "postgres", null, 8);
    this.db = d;
    var counters =
        new RedisCounters(TestServices.redisUrl(), "shelf-test:" + KeySecrets.random(10) + ":");
    AutoCloseable resources =
        () -> {
          d.close();
          TestServices.dropPostgres(url);
        };
    return ShelfHarness.withAccounts(
        yaml,
        new Accounts(
            new JdbiTenancyStore(d),
            new JdbiLedger(d),
            counters,
            null,
            resources,
            new JdbiContentAudit(d),
            new JdbiComplaints(d)));
  }

  @Override
  Database database() {
    return Objects.requireNonNull(db);
  }

  @org.junit.jupiter.api.Test
  void runsOnPostgres() {
    org.assertj.core.api.Assertions.assertThat(database().postgres()).isTrue();
  }
}

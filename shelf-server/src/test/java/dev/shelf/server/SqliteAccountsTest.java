package dev.shelf.server;

/** Accounts on the embedded default: SQLite in a fresh data directory, in-process counters. */
class SqliteAccountsTest extends AccountsContract {
  @Override
  ShelfHarness start(String yaml) {
    return ShelfHarness.start(yaml);
  }

  @org.junit.jupiter.api.Test
  void runsOnTheEmbeddedDefault() {
    org.assertj.core.api.Assertions.assertThat(shelf.accounts().counters())
        .isInstanceOf(dev.shelf.gateway.limits.LocalCounters.class);
    org.assertj.core.api.Assertions.assertThat(shelf.accounts().ledger())
        .isInstanceOf(dev.shelf.store.JdbiLedger.class);
  }
}

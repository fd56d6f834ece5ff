package dev.shelf.server;

/** Accounts on the embedded default: SQLite in a fresh data directory, in-process counters. */
class SqliteAccountsTest extends AccountsContract {
  @Override
  ShelfHarness start(String yaml) {
    return ShelfHarness.start(yaml);
  }
}

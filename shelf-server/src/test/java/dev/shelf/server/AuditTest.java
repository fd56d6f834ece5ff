package dev.shelf.server;

import dev.shelf.store.Database;
import java.util.Objects;

/** The content audit and complaints on the embedded default: SQLite in a fresh data directory. */
class AuditTest extends AuditContract {
  @Override
  ShelfHarness start(String yaml) {
    return ShelfHarness.start(yaml);
  }

  @Override
  Database database() {
    return (Database) Objects.requireNonNull(shelf).accounts().resources();
  }

  @org.junit.jupiter.api.Test
  void runsOnTheEmbeddedDefault() {
    org.assertj.core.api.Assertions.assertThat(database().postgres()).isFalse();
  }
}

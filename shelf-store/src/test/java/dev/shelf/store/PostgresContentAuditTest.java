package dev.shelf.store;

import dev.shelf.store.testing.TestServices;

class PostgresContentAuditTest extends ContentAuditContract {
  private String url = "";

  @Override
  Database open() {
    url = TestServices.newPostgresUrl();
    return Database.postgres(url, "postgres", null, 4);
  }

  @Override
  void dispose(Database db) {
    db.close();
    TestServices.dropPostgres(url);
  }

  @org.junit.jupiter.api.Test
  void runsOnPostgres() {
    org.assertj.core.api.Assertions.assertThat(db.postgres()).isTrue();
  }
}

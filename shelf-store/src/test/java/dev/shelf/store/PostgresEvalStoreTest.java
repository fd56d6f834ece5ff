package dev.shelf.store;

import dev.shelf.store.testing.TestServices;

class PostgresEvalStoreTest extends EvalStoreContract {
  private String url = "";

  @Override
  Database open() {
    url = TestServices.newPostgresUrl();
    return Database.postgres(url, "postgres", null, 8);
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

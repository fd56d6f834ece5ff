package dev.shelf.store;

import dev.shelf.store.testing.TestServices;

class PostgresStoreTest extends StoreContract {
  private String url = "";

  @Override
  Database open() {
    url = TestServices.newPostgresUrl();
    return Database.postgres(url, "postgres", null, 8);
  }

  @org.junit.jupiter.api.Test
  void runsOnARealPostgres() {
    org.assertj.core.api.Assertions.assertThat(db.postgres()).isTrue();
    String answer =
        db.jdbi().withHandle(h -> h.createQuery("SELECT version()").mapTo(String.class).one());
    org.assertj.core.api.Assertions.assertThat(answer).startsWith("PostgreSQL");
  }

  @Override
  void dispose(Database db) {
    db.close();
    TestServices.dropPostgres(url);
  }
}

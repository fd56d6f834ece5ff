package dev.shelf.store;

import dev.shelf.store.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

class SqliteStoreTest extends StoreContract {
  private Path dir = Path.of("");

  @Override
  Database open() throws Exception {
    dir = Files.createTempDirectory("shelf-store");
    return TestServices.newSqlite(dir);
  }

  @org.junit.jupiter.api.Test
  void runsOnASqliteFileInWalMode() {
    org.assertj.core.api.Assertions.assertThat(db.postgres()).isFalse();
    String answer =
        db.jdbi().withHandle(h -> h.createQuery("PRAGMA journal_mode").mapTo(String.class).one());
    org.assertj.core.api.Assertions.assertThat(answer).isEqualToIgnoringCase("wal");
    org.assertj.core.api.Assertions.assertThat(dir.resolve("shelf.db")).exists();
  }

  @Override
  void dispose(Database db) throws Exception {
    db.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

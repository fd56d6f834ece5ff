package dev.shelf.store;

import dev.shelf.store.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

class SqliteContentAuditTest extends ContentAuditContract {
  private Path dir = Path.of("");

  @Override
  Database open() throws Exception {
    dir = Files.createTempDirectory("shelf-audit");
    return TestServices.newSqlite(dir);
  }

  @Override
  void dispose(Database db) throws Exception {
    db.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @org.junit.jupiter.api.Test
  void runsOnSqlite() {
    org.assertj.core.api.Assertions.assertThat(db.postgres()).isFalse();
  }
}

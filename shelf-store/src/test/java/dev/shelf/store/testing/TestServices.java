package dev.shelf.store.testing;

import dev.shelf.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * The real services tests run against: PostgreSQL at {@code SHELF_TEST_PG} (default {@code
 * 127.0.0.1:5432}, user postgres, trust auth) and Redis at {@code SHELF_TEST_REDIS} (default {@code
 * redis://127.0.0.1:6379}). {@code .ci/run} starts both when they are not running; a test that
 * needs one fails when it is missing, it is never skipped silently.
 */
public final class TestServices {
  private TestServices() {}

  public static String pgHostPort() {
    String v = System.getenv("SHELF_TEST_PG");
    return v == null || v.isBlank() ? "127.0.0.1:5432" : v;
  }

  public static String redisUrl() {
    String v = System.getenv("SHELF_TEST_REDIS");
    return v == null || v.isBlank() ? "redis://127.0.0.1:6379" : v;
  }

  /** A new, empty PostgreSQL database; its JDBC URL. Dropped by {@link #dropPostgres}. */
  public static String newPostgresUrl() {
    String name = "shelf_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = admin();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name.toLowerCase(Locale.ROOT));
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL is needed at "
              + pgHostPort()
              + " (user postgres); run .ci/run or start it: "
              + e.getMessage(),
          e);
    }
    return "jdbc:postgresql://" + pgHostPort() + "/" + name;
  }

  public static Database newPostgres() {
    return Database.postgres(newPostgresUrl(), "postgres", null, 8);
  }

  public static void dropPostgres(String url) {
    String name = url.substring(url.lastIndexOf('/') + 1);
    try (Connection c = admin();
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop " + name, e);
    }
  }

  private static Connection admin() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://" + pgHostPort() + "/postgres", "postgres", "");
  }

  public static Database newSqlite(Path dir) {
    return Database.sqlite(dir.resolve("shelf.db"));
  }
}

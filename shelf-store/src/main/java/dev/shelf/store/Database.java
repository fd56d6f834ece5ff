package dev.shelf.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.shelf.eval.arena.BattleStore;
import dev.shelf.eval.exec.DatasetStore;
import dev.shelf.eval.exec.EvalStores;
import dev.shelf.eval.exec.JudgeJobs;
import dev.shelf.eval.exec.RunOwners;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.gateway.config.ShelfConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jspecify.annotations.Nullable;

/**
 * The database: SQLite in the data directory by default, PostgreSQL when {@code database.url} is
 * set. Both run the same Flyway migrations at open, so a fresh directory or an empty database is
 * ready at once, and an old one is brought up to date.
 *
 * <p>SQLite runs in WAL mode: a committed transaction survives the process being killed, readers
 * never wait for the writer, and the ledger's group commit keeps commits few. {@code
 * synchronous=NORMAL} by default; {@code database.sqlite_sync: full} fsyncs every commit so that it
 * survives power loss as well. A busy timeout lets the CLI write while a server runs.
 *
 * <p>It also hands out the evaluation service's stores ({@link EvalStores}), which a server finds
 * on {@code Accounts.resources()}.
 */
public final class Database implements AutoCloseable, EvalStores {
  private final HikariDataSource pool;
  private final Jdbi jdbi;
  private final boolean postgres;

  private Database(HikariDataSource pool, boolean postgres) {
    this.pool = pool;
    this.postgres = postgres;
    this.jdbi = Jdbi.create(pool);
    // optional filters (team, key) bind their parameter whether or not the clause is present
    jdbi.getConfig(SqlStatements.class).setUnusedBindingAllowed(true);
  }

  /** Opens the configured database, migrating it. */
  public static Database open(ShelfConfig.Storage storage, Path dataDir) {
    String url = storage.databaseUrl();
    if (url != null) {
      return postgres(
          url, storage.databaseUser(), storage.databasePassword(), storage.databasePool());
    }
    return sqlite(dataDir.resolve("shelf.db"), storage.sqliteFullSync());
  }

  public static Database sqlite(Path file) {
    return sqlite(file, false);
  }

  /**
   * SQLite in WAL mode. {@code fullSync} false ({@code synchronous=NORMAL}, the default): a commit
   * is in the WAL file before it returns, so it survives the process being killed at any moment,
   * and the WAL is fsynced at checkpoints; true ({@code synchronous=FULL}): every commit is fsynced
   * too, surviving power loss, at the cost of one fsync per group commit.
   */
  public static Database sqlite(Path file, boolean fullSync) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the data directory for " + file, e);
    }
    var c = new HikariConfig();
    c.setJdbcUrl("jdbc:sqlite:" + file.toAbsolutePath());
    c.setPoolName("shelf-sqlite");
    c.setMaximumPoolSize(4);
    c.addDataSourceProperty("journal_mode", "WAL");
    c.addDataSourceProperty("synchronous", fullSync ? "FULL" : "NORMAL");
    c.addDataSourceProperty("busy_timeout", "15000");
    c.addDataSourceProperty("foreign_keys", "true");
    var db = new Database(new HikariDataSource(c), false);
    db.migrate("INTEGER PRIMARY KEY AUTOINCREMENT");
    return db;
  }

  public static Database postgres(
      String url, @Nullable String user, @Nullable String password, int poolSize) {
    var c = new HikariConfig();
    c.setJdbcUrl(url);
    if (user != null) {
      c.setUsername(user);
    }
    if (password != null) {
      c.setPassword(password);
    }
    c.setPoolName("shelf-postgres");
    c.setMaximumPoolSize(poolSize);
    c.setInitializationFailTimeout(10_000);
    var db = new Database(new HikariDataSource(c), true);
    db.migrate("BIGSERIAL PRIMARY KEY");
    return db;
  }

  private void migrate(String autoinc) {
    Flyway.configure()
        .dataSource(pool)
        .locations("classpath:db/migration")
        .placeholders(Map.of("autoinc", autoinc))
        .load()
        .migrate();
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  public boolean postgres() {
    return postgres;
  }

  @Override
  public RunStore runs() {
    return new JdbiRunStore(this);
  }

  @Override
  public RunOwners owners() {
    return new JdbiRunStore(this);
  }

  @Override
  public DatasetStore datasets() {
    return new JdbiDatasetStore(this);
  }

  @Override
  public JudgeJobs judgeJobs() {
    return new JdbiJudgeJobs(this);
  }

  @Override
  public BattleStore battles() {
    return new JdbiBattleStore(this);
  }

  @Override
  public void close() {
    pool.close();
  }
}

package dev.shelf.cli;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.store.Database;
import dev.shelf.store.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Where the CLI finds teams, keys and the ledger: the same configuration and data directory as
 * {@code shelf serve}, so it works on the SQLite file next to a running server (WAL lets both
 * write) or on the shared PostgreSQL. Changes reach running servers within a second.
 */
public final class StoreOptions {
  @Option(
      names = {"-c", "--config"},
      description = "Configuration file (default: ./shelf.yaml when it exists).")
  @Nullable Path config;

  @Option(names = "--data-dir", description = "Data directory holding shelf.db (default: ./data).")
  Path dataDir = Path.of("data");

  public ShelfConfig load() {
    Path file = config;
    if (file == null && Files.exists(Path.of("shelf.yaml"))) {
      file = Path.of("shelf.yaml");
    }
    var loader = new ConfigLoader(System.getenv());
    return file == null ? loader.defaults() : loader.load(file);
  }

  /** The database alone (migrated), for stores outside the gateway's accounts (eval runs). */
  public Database database(ShelfConfig c) {
    return Database.open(c.storage(), dataDir);
  }

  Accounts open(ShelfConfig c) {
    return Stores.open(c.storage(), dataDir);
  }
}

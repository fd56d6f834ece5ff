package dev.shelf.cli;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ModelsFolder;
import dev.shelf.gateway.config.SecretBox;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.server.ShelfServer;
import dev.shelf.store.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shelf serve}: runs the gateway until interrupted, then shuts down gracefully. */
@Command(name = "serve", description = "Run the Shelf server.", mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      description = "Configuration file (default: ./shelf.yaml when it exists).")
  @Nullable Path config;

  @Option(
      names = {"-p", "--port"},
      description = "Port to listen on (default: server.port, else 8080).")
  @Nullable Integer port;

  @Option(names = "--host", description = "Address to bind (default: server.host, else 127.0.0.1).")
  @Nullable String host;

  @Option(
      names = "--data-dir",
      description = "Data directory for the database, models and indexes (default: ./data).")
  Path dataDir = Path.of("data");

  @Option(
      names = "--preload",
      paramLabel = "MODEL",
      split = ",",
      description =
          "Load and warm up these models (public ids, or 'all') at startup instead of on their"
              + " first request, as 'preload: true' in shelf.yaml does; readiness waits for them.")
  List<String> preload = List.of();

  @Override
  public Integer call() throws Exception {
    Path file = config;
    if (file == null && Files.exists(Path.of("shelf.yaml"))) {
      file = Path.of("shelf.yaml");
    }
    if (file != null && !Files.exists(file)) {
      System.err.println("error: configuration file " + file + " does not exist");
      return 2;
    }
    Files.createDirectories(dataDir);
    String masterKey = System.getenv("SHELF_MASTER_KEY");
    // The database settings come from the file; the providers and models stored through the admin
    // API (credentials sealed with the secret key) are then laid over it.
    var loader = new ConfigLoader(System.getenv());
    ShelfConfig boot = file == null ? loader.defaults() : loader.load(file);
    SecretBox secrets = SecretBox.fromEnvironment(System.getenv(), dataDir);
    Accounts accounts = Stores.open(boot.storage(), dataDir, secrets);
    // GGUF files in DATA_DIR/models are on the shelf without configuration, and come and go with
    // the files.
    var folder = new ModelsFolder(dataDir.resolve("models"));
    ShelfRuntime runtime =
        ShelfRuntime.start(
            file,
            System.getenv(),
            c -> {
              ShelfConfig out = preload(folder.addTo(c), preload);
              if (port != null || host != null) {
                out =
                    out.withServer(
                        out.server()
                            .withHostPort(
                                host != null ? host : out.server().host(),
                                port != null ? port : out.server().port()));
              }
              if (masterKey != null && !masterKey.isBlank()) {
                out = out.withAuth(new ShelfConfig.Auth(masterKey, out.auth().keys()));
              }
              return out;
            },
            accounts.config(),
            folder::fingerprint);
    Set<String> ids = new TreeSet<>();
    runtime.config().models().forEach(m -> ids.add(m.id()));
    for (String id : preload) {
      if (!id.equals("all") && !ids.contains(id)) {
        System.err.println("error: --preload: no model '" + id + "' on the shelf; models: " + ids);
        runtime.close();
        accounts.close();
        return 2;
      }
    }
    // AIGC labels are signed with a key derived from the secret key: they verify after a restart.
    ShelfServer server = ShelfServer.start(runtime, accounts, System.out, secrets);
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .unstarted(
                    () -> {
                      System.err.println("shelf: shutting down, letting requests in flight finish");
                      server.stop();
                      runtime.close();
                      try {
                        accounts.close();
                      } catch (Exception e) {
                        System.err.println("shelf: closing the database: " + e.getMessage());
                      }
                      stopped.countDown();
                    }));
    ShelfConfig c = runtime.config();
    System.err.printf(
        "shelf %s listening on http://%s:%d/v1 (%d models and routes, config: %s, data: %s,"
            + " database: %s, counters: %s)%n",
        Main.version(),
        server.open() ? "127.0.0.1" : c.server().host(),
        server.port(),
        runtime.shelf().names().size(),
        file == null ? "built-in defaults" : file,
        dataDir.toAbsolutePath(),
        c.storage().databaseUrl() == null ? "SQLite" : "PostgreSQL",
        c.storage().redisUrl() == null ? "in process" : "Redis");
    if (server.open()) {
      System.err.println(
          "WARNING: no master key or client keys are set: Shelf accepts requests without a key"
              + " and listens on 127.0.0.1 only. Set SHELF_MASTER_KEY (or auth.master_key) to"
              + " require keys and to serve the network.");
    }
    if (runtime.shelf().names().isEmpty()) {
      System.err.println(
          "The shelf is empty: add providers and models to shelf.yaml (see README.md), or put a"
              + " GGUF file in "
              + folder.dir()
              + " (shelf pull hf:ORG/REPO/FILE.gguf); both are picked up while Shelf runs.");
    }
    stopped.await();
    return 0;
  }

  /** Marks the models named by {@code --preload} (every model for {@code all}) to be preloaded. */
  static ShelfConfig preload(ShelfConfig c, List<String> preload) {
    if (preload.isEmpty()) {
      return c;
    }
    boolean all = preload.contains("all");
    List<ModelSpec> models = new ArrayList<>();
    for (ModelSpec m : c.models()) {
      models.add(all || preload.contains(m.id()) ? m.withPreload(true) : m);
    }
    return c.withShelf(c.providers(), models);
  }
}

package dev.shelf.server.testing;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.server.ShelfServer;
import dev.shelf.store.Stores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One Shelf node in its own JVM, as {@code shelf serve} runs it but without the CLI: {@code
 * NodeMain <shelf.yaml> <data-dir>} opens the configured stores (SQLite in the data directory, or
 * PostgreSQL and Redis), starts the server on the configured port (tests use 0) and prints {@value
 * #READY}{@code <port>} on stdout once it listens.
 *
 * <p>SIGTERM ({@link Process#destroy()}) shuts it down gracefully, as {@code shelf serve} does;
 * SIGKILL ({@link Process#destroyForcibly()}) is the crash. The node also exits when its standard
 * input reaches end of file, which is what happens when the test JVM that started it dies, so a
 * crashed test run leaves no node behind.
 */
public final class NodeMain {
  /** The line (followed by the port) that says the node is listening. */
  public static final String READY = "shelf-node listening on port ";

  private NodeMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: NodeMain <shelf.yaml> <data-dir>");
      System.exit(2);
    }
    Path dataDir = Path.of(args[1]);
    Files.createDirectories(dataDir);
    ShelfConfig config = new ConfigLoader(System.getenv()).load(Path.of(args[0]));
    ShelfRuntime runtime = ShelfRuntime.of(config);
    Accounts accounts = Stores.open(config.storage(), dataDir);
    ShelfServer server = ShelfServer.start(runtime, accounts, null);
    Runtime.getRuntime()
        .addShutdownHook(
            Thread.ofPlatform()
                .unstarted(
                    () -> {
                      server.stop();
                      runtime.close();
                      try {
                        accounts.close();
                      } catch (Exception e) {
                        System.err.println("shelf-node: closing the stores: " + e);
                      }
                    }));
    System.out.println(READY + server.port());
    System.out.flush();
    while (System.in.read() != -1) {
      // the parent never writes; end of input means it is gone
    }
    System.exit(0);
  }
}

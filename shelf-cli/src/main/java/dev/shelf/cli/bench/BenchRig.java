package dev.shelf.cli.bench;

import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.server.ShelfServer;
import java.io.IOException;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The two sides of the gateway benchmark in this process: the {@link StubUpstream} on loopback, and
 * a Shelf server (from the same YAML a user would write) whose one model is served by it.
 */
final class BenchRig implements AutoCloseable {
  static final String MODEL = "bench-model";
  static final String PATH = "/v1/chat/completions";
  static final String WHOLE_JSON =
      "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";
  static final String STREAM_JSON =
      "{\"model\":\""
          + MODEL
          + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}],"
          + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

  /** Helidon logs each start and stop at INFO; held here so the setting is not collected. */
  private static final Logger HELIDON = Logger.getLogger("io.helidon");

  private final StubUpstream stub;
  private final ShelfRuntime runtime;
  private final ShelfServer server;
  private final @Nullable String key;

  private BenchRig(
      StubUpstream stub, ShelfRuntime runtime, ShelfServer server, @Nullable String key) {
    this.stub = stub;
    this.runtime = runtime;
    this.server = server;
    this.key = key;
  }

  /** Starts the stub, then Shelf in front of it; with a key, Shelf requires it. */
  static BenchRig start(@Nullable String masterKey) throws IOException {
    HELIDON.setLevel(Level.WARNING);
    StubUpstream stub = StubUpstream.start();
    ShelfRuntime runtime = null;
    try {
      runtime =
          ShelfRuntime.of(new ConfigLoader(Map.of()).parse("bench", yaml(stub.port(), masterKey)));
      ShelfServer server = ShelfServer.start(runtime, null);
      return new BenchRig(stub, runtime, server, masterKey);
    } catch (RuntimeException e) {
      if (runtime != null) {
        runtime.close();
      }
      stub.close();
      throw e;
    }
  }

  static String yaml(int stubPort, @Nullable String masterKey) {
    return "server:\n"
        + "  port: 0\n"
        + "  access_log: false\n"
        + "  shutdown_grace: 1s\n"
        + (masterKey == null ? "" : "auth:\n  master_key: \"" + masterKey + "\"\n")
        + "providers:\n"
        + "  stub:\n"
        + "    type: openai\n"
        + "    base_url: http://127.0.0.1:"
        + stubPort
        + "/v1\n"
        + "models:\n"
        + "  - id: "
        + MODEL
        + "\n"
        + "    provider: stub\n"
        + "    upstream: "
        + StubUpstream.MODEL
        + "\n"
        // priced, so that with accounts on the budget reservation and the cost are real work
        + "    price: {input: 0.27, output: 1.10, currency: USD}\n";
  }

  StubUpstream stub() {
    return stub;
  }

  int stubPort() {
    return stub.port();
  }

  int shelfPort() {
    return server.port();
  }

  /** The key clients send (Shelf's master key), or null when auth is off. */
  @Nullable String key() {
    return key;
  }

  /** The request bytes for one side; the same body and headers go to both. */
  byte[] request(int port, boolean stream) {
    return HttpLoad.post(port, PATH, stream ? STREAM_JSON : WHOLE_JSON, key);
  }

  @Override
  public void close() {
    try {
      server.stop();
    } finally {
      try {
        runtime.close();
      } finally {
        stub.close();
      }
    }
  }
}

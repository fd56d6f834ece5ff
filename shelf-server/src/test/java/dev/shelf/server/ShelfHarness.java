package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.shelf.api.Json;
import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.store.Stores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A real Shelf server on port 0 built from shelf.yaml text, with the official OpenAI SDK and a raw
 * HTTP client pointed at it. Close it after the tests (it closes the SDK clients it made).
 */
final class ShelfHarness implements AutoCloseable {
  private final ShelfRuntime runtime;
  private final ShelfServer server;
  private final @Nullable Accounts accounts;
  private final @Nullable Path dataDir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<OpenAIClient> clients = new ArrayList<>();

  private ShelfHarness(
      ShelfRuntime runtime,
      ShelfServer server,
      @Nullable Accounts accounts,
      @Nullable Path dataDir) {
    this.runtime = runtime;
    this.server = server;
    this.accounts = accounts;
    this.dataDir = dataDir;
  }

  static ShelfHarness start(String yaml) {
    return start(yaml, (java.io.@Nullable PrintStream) null);
  }

  /**
   * With an access log written to {@code accessLog} (needs {@code access_log: true}). Accounts
   * (keys, limits, the ledger) live in SQLite in a fresh temporary data directory, as with {@code
   * shelf serve}, unless the YAML names a database.
   */
  static ShelfHarness start(String yaml, java.io.@Nullable PrintStream accessLog) {
    return withTempAccounts(new ConfigLoader(Map.of()).parse("test.yaml", yaml), accessLog);
  }

  private static ShelfHarness withTempAccounts(
      dev.shelf.gateway.config.ShelfConfig config, java.io.@Nullable PrintStream accessLog) {
    Path dir;
    try {
      dir = Files.createTempDirectory("shelf-harness");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Accounts accounts = Stores.open(config.storage(), dir);
    var runtime = ShelfRuntime.of(config);
    return new ShelfHarness(
        runtime, ShelfServer.start(runtime, accounts, accessLog), accounts, dir);
  }

  /**
   * As {@link #start(String)}, with the admin API's stored providers and models switched on: the
   * YAML is written to a file in the data directory, a fresh secret key seals credentials, and the
   * runtime lays the stored configuration over the file as {@code shelf serve} does.
   */
  static ShelfHarness withStoredConfig(String yaml) {
    try {
      Path dir = Files.createTempDirectory("shelf-harness");
      Path file = dir.resolve("shelf.yaml");
      Files.writeString(file, yaml);
      var config = new ConfigLoader(Map.of()).load(file);
      byte[] key = new byte[32];
      new java.security.SecureRandom().nextBytes(key);
      Accounts accounts =
          Stores.open(config.storage(), dir, new dev.shelf.gateway.config.SecretBox(key));
      var runtime =
          ShelfRuntime.start(
              file, Map.of(), java.util.function.UnaryOperator.identity(), accounts.config());
      return new ShelfHarness(runtime, ShelfServer.start(runtime, accounts, null), accounts, dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * As {@code shelf serve} with no configuration file: the built-in defaults with the GGUF files of
   * {@code dataDir/models} laid over them, reloaded as files come and go.
   */
  static ShelfHarness withModelsFolder(Path dataDir) {
    var folder = new dev.shelf.gateway.config.ModelsFolder(dataDir.resolve("models"));
    var runtime =
        ShelfRuntime.start(
            null,
            Map.of(),
            c -> folder.addTo(c).withServer(c.server().withHostPort("127.0.0.1", 0)),
            null,
            folder::fingerprint);
    Accounts accounts = Stores.open(runtime.config().storage(), dataDir);
    return new ShelfHarness(runtime, ShelfServer.start(runtime, accounts, null), accounts, dataDir);
  }

  /** With accounts opened by the caller (PostgreSQL, Redis); the harness closes them. */
  static ShelfHarness withAccounts(String yaml, Accounts accounts) {
    var config = new ConfigLoader(Map.of()).parse("test.yaml", yaml);
    var runtime = ShelfRuntime.of(config);
    return new ShelfHarness(runtime, ShelfServer.start(runtime, accounts, null), accounts, null);
  }

  Accounts accounts() {
    if (accounts == null) {
      throw new IllegalStateException("this harness runs without accounts");
    }
    return accounts;
  }

  /**
   * A server over a configuration built in code (e.g. the built-in defaults), with accounts in a
   * fresh SQLite data directory as {@link #start(String)} has them.
   */
  static ShelfHarness of(dev.shelf.gateway.config.ShelfConfig config) {
    return withTempAccounts(config, null);
  }

  int port() {
    return server.port();
  }

  /** {@code http://127.0.0.1:PORT/v1}, what clients use as base URL. */
  String baseUrl() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  /** The official SDK, validating responses, never retrying (so each call is one request). */
  OpenAIClient sdk(String apiKey) {
    OpenAIClient c =
        OpenAIOkHttpClient.builder()
            .baseUrl(baseUrl())
            .apiKey(apiKey)
            .responseValidation(true)
            .maxRetries(0)
            .timeout(Duration.ofSeconds(20))
            .build();
    synchronized (clients) {
      clients.add(c);
    }
    return c;
  }

  /** A plain HTTP answer, for what an SDK cannot send or hides. */
  record Raw(int status, java.net.http.HttpHeaders headers, String body) {
    JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    @org.jspecify.annotations.Nullable
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    /** The {@code data:} payloads of an event stream, in order. */
    List<String> events() {
      var out = new ArrayList<String>();
      for (String line : body.split("\n")) {
        if (line.startsWith("data: ")) {
          out.add(line.substring(6));
        }
      }
      return out;
    }
  }

  Raw post(String path, String body, String... headers) {
    var b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .header("content-type", "application/json");
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  Raw get(String path, String... headers) {
    var b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
            .timeout(Duration.ofSeconds(20))
            .GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  private Raw send(HttpRequest req) {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      return new Raw(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    synchronized (clients) {
      clients.forEach(OpenAIClient::close);
      clients.clear();
    }
    server.stop();
    runtime.close();
    http.close();
    if (accounts != null) {
      try {
        accounts.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    if (dataDir != null) {
      try (var files = Files.walk(dataDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  Raw put(String path, String body, String... headers) {
    var b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
            .timeout(Duration.ofSeconds(20))
            .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .header("content-type", "application/json");
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  Raw patch(String path, String body, String... headers) {
    var b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
            .timeout(Duration.ofSeconds(20))
            .method("PATCH", HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .header("content-type", "application/json");
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }

  Raw delete(String path, String... headers) {
    var b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
            .timeout(Duration.ofSeconds(20))
            .DELETE();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return send(b.build());
  }
}

package dev.shelf.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real Shelf node running {@link NodeMain} in a child JVM: the same {@code java} binary and class
 * path as the test, its output (stdout and stderr) in a log file next to its data directory. {@link
 * #launch} starts the process and returns at once, so several nodes boot in parallel; {@link
 * #awaitReady} waits for the port. Always close it (try/finally or {@code @AfterAll}): {@link
 * #close} kills the process if it still runs.
 */
public final class ShelfNode implements AutoCloseable {
  private static final Duration BOOT = Duration.ofSeconds(60);

  private final String name;
  private final Process process;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private volatile int port;

  private ShelfNode(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code NodeMain yaml dataDir} in a new JVM; its output goes to {@code
   * <dataDir>-<name>.log} (so a node started again on the same data under another name has a log of
   * its own).
   */
  public static ShelfNode launch(String name, Path yaml, Path dataDir) {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    Path log = dataDir.resolveSibling(dataDir.getFileName() + "-" + name + ".log");
    List<String> cmd =
        List.of(
            java,
            "--enable-native-access=ALL-UNNAMED",
            "--add-modules",
            "jdk.incubator.vector",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            NodeMain.class.getName(),
            yaml.toString(),
            dataDir.toString());
    try {
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
              .start();
      return new ShelfNode(name, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + name + ": " + cmd, e);
    }
  }

  /** Waits until the node prints its port; fails with its log if it exits or takes too long. */
  public ShelfNode awaitReady() {
    long deadline = System.nanoTime() + BOOT.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : logLines()) {
        if (line.startsWith(NodeMain.READY)) {
          port = Integer.parseInt(line.substring(NodeMain.READY.length()).trim());
          return this;
        }
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "node "
                + name
                + " exited with "
                + process.exitValue()
                + " before listening:\n"
                + log());
      }
      sleep(50);
    }
    throw new IllegalStateException(
        "node " + name + " not listening after " + BOOT + ":\n" + log());
  }

  public String name() {
    return name;
  }

  public int port() {
    if (port == 0) {
      throw new IllegalStateException("node " + name + " is not ready; call awaitReady()");
    }
    return port;
  }

  public boolean alive() {
    return process.isAlive();
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  public HttpClient http() {
    return http;
  }

  /** The node's output so far (the last 8,000 characters), for failure messages. */
  public String log() {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() <= 8_000 ? s : "..." + s.substring(s.length() - 8_000);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private List<String> logLines() {
    try {
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException | UncheckedIOException e) {
      return List.of(); // being written; read again
    }
  }

  /** SIGKILL: the process dies at once, mid-request, without its shutdown hook. */
  public void kill() {
    process.destroyForcibly();
    waitFor(10);
  }

  /** SIGTERM: the node drains requests in flight and closes its stores; killed if it hangs. */
  public void stop() {
    process.destroy();
    if (!waitFor(20)) {
      kill();
      throw new IllegalStateException("node " + name + " did not stop on SIGTERM:\n" + log());
    }
  }

  private boolean waitFor(long seconds) {
    try {
      return process.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    http.close();
  }

  @Override
  public String toString() {
    return "node " + name + (port == 0 ? "" : " on port " + port);
  }

  // ---- plain HTTP ----

  /** An answer read whole. */
  public record Answer(int status, HttpHeaders headers, String body) {
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    public @Nullable String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  public Answer post(String path, String body, String... headers) {
    return send(request(path, headers).POST(body(body)).build());
  }

  public Answer get(String path, String... headers) {
    return send(request(path, headers).GET().build());
  }

  public Answer patch(String path, String body, String... headers) {
    return send(request(path, headers).method("PATCH", body(body)).build());
  }

  /** A request builder for this node with a JSON content type and the given header pairs. */
  public HttpRequest.Builder request(String path, String... headers) {
    var b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(20))
            .header("content-type", "application/json");
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b;
  }

  private static HttpRequest.BodyPublisher body(String s) {
    return HttpRequest.BodyPublishers.ofString(s, StandardCharsets.UTF_8);
  }

  private Answer send(HttpRequest req) {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(this + ": " + req.method() + " " + req.uri(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Admin calls with a key; the decoded body of a 200 or 201, else an assertion error. */
  public JsonNode admin(String method, String path, String body, String key) {
    String auth = "Bearer " + key;
    Answer a =
        switch (method) {
          case "GET" -> get(path, "authorization", auth);
          case "PATCH" -> patch(path, body, "authorization", auth);
          default -> post(path, body, "authorization", auth);
        };
    if (a.status() != 200 && a.status() != 201) {
      throw new AssertionError(this + ": " + method + " " + path + " -> " + a.status() + a.body());
    }
    return a.json();
  }

  /** Deletes a directory tree (a test's data and logs); nothing when it is null or gone. */
  public static void deleteTree(@Nullable Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Launches several nodes in parallel and waits for all; kills them all if one fails. */
  public static List<ShelfNode> startAll(Path yaml, Path dir, String... names) {
    var nodes = new ArrayList<ShelfNode>();
    try {
      for (String n : names) {
        nodes.add(launch(n, yaml, dir.resolve(n)));
      }
      nodes.forEach(ShelfNode::awaitReady);
      return nodes;
    } catch (RuntimeException e) {
      nodes.forEach(ShelfNode::close);
      throw e;
    }
  }
}

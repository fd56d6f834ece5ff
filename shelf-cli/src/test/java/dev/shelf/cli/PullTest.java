package dev.shelf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shelf pull} against a real HTTP server on port 0 serving the stories260K GGUF's bytes
 * (read from ../shared at test time) with Range support, and able to cut a response midway, ignore
 * Range, or announce a SHA-256 ETag as Hugging Face does for LFS files.
 */
class PullTest {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  @TempDir Path dir;
  private HttpServer server;
  private byte[] model;
  private String sha;
  private final List<String> paths = new CopyOnWriteArrayList<>();
  private final List<String> ranges = new CopyOnWriteArrayList<>();
  private volatile boolean cutFirst;
  private volatile boolean stallFirst;
  private volatile boolean honourRange = true;
  private volatile String etag = "";

  @BeforeEach
  void start() throws Exception {
    model = Files.readAllBytes(CliRun.stories().resolve("stories260K.gguf"));
    sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
    startServer();
  }

  private void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::serve);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void serve(HttpExchange ex) throws IOException {
    paths.add(ex.getRequestURI().getPath());
    String range = ex.getRequestHeaders().getFirst("Range");
    ranges.add(range == null ? "" : range);
    if (ex.getRequestURI().getPath().endsWith("missing.gguf")) {
      ex.sendResponseHeaders(404, -1);
      ex.close();
      return;
    }
    if (!etag.isEmpty()) {
      ex.getResponseHeaders().set("ETag", "\"" + etag + "\"");
    }
    int from = 0;
    Matcher m = range == null ? null : RANGE.matcher(range);
    if (honourRange && m != null && m.matches()) {
      from = Integer.parseInt(m.group(1));
      ex.getResponseHeaders()
          .set("Content-Range", "bytes " + from + "-" + (model.length - 1) + "/" + model.length);
      ex.sendResponseHeaders(206, model.length - from);
    } else {
      ex.sendResponseHeaders(200, model.length);
    }
    try (OutputStream out = ex.getResponseBody()) {
      if (stallFirst) {
        stallFirst = false;
        out.write(model, from, (model.length - from) / 2);
        out.flush();
        // returning without the rest or a close: the connection stays open and silent
        return;
      }
      if (cutFirst) {
        cutFirst = false;
        out.write(model, from, (model.length - from) / 2);
        out.flush();
        // the JDK server keeps a short response's connection open: stopping it drops the
        // connection, as a network failure would
        HttpServer dying = server;
        Thread.ofPlatform().start(() -> dying.stop(0));
        return;
      }
      out.write(model, from, model.length - from);
    } catch (IOException expected) {
      // the cut response: the server notices the missing bytes
    }
  }

  private String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private Path models() {
    return dir.resolve("data").resolve("models");
  }

  @Test
  void hfSourceDownloadsVerifiesAndValidates() throws Exception {
    CliRun r =
        CliRun.run(
            "pull",
            "hf:org/repo/stories.gguf@v1",
            "--hf-endpoint",
            base(),
            "--data-dir",
            dir.resolve("data").toString(),
            "--sha256",
            sha.toUpperCase(java.util.Locale.ROOT));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(paths).containsExactly("/org/repo/resolve/v1/stories.gguf");
    assertThat(ranges).containsExactly("");
    Path file = models().resolve("stories.gguf");
    assertThat(Files.readAllBytes(file)).isEqualTo(model);
    assertThat(models().resolve("stories.gguf.part")).doesNotExist();
    assertThat(r.out()).contains("llama").contains(sha);
    // not a terminal: no bar
    assertThat(r.err()).isEmpty();

    CliRun again =
        CliRun.run(
            "pull",
            "hf:org/repo/stories.gguf@v1",
            "--hf-endpoint",
            base(),
            "--data-dir",
            dir.resolve("data").toString());
    assertThat(again.exit()).isZero();
    assertThat(again.out()).contains("already exists");
    assertThat(paths).hasSize(1);
  }

  @Test
  void aCutDownloadResumesWithRange() throws Exception {
    cutFirst = true;
    Path out = dir.resolve("m.gguf");
    String url = base() + "/files/stories260K.gguf";
    CliRun first = CliRun.run("pull", url, "--out", out.toString());
    assertThat(first.exit()).isNotZero();
    assertThat(first.err()).contains("run the same command again to resume");
    assertThat(out).doesNotExist();
    Path part = dir.resolve("m.gguf.part");
    long kept = Files.size(part);
    assertThat(kept).isPositive().isLessThan(model.length);

    startServer();
    url = base() + "/files/stories260K.gguf";
    CliRun second = CliRun.run("pull", url, "--out", out.toString(), "--sha256", sha);
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(ranges).containsExactly("", "bytes=" + kept + "-");
    assertThat(Files.readAllBytes(out)).isEqualTo(model);
    assertThat(part).doesNotExist();
  }

  @Test
  void aStalledDownloadGivesUpAndResumes() throws Exception {
    stallFirst = true;
    Path out = dir.resolve("m.gguf");
    String url = base() + "/m.gguf";
    CliRun first = CliRun.run("pull", url, "--out", out.toString(), "--stall-timeout", "1");
    assertThat(first.exit()).isNotZero();
    assertThat(first.err()).contains("stalled: no bytes for 1 s").contains("resume");
    long kept = Files.size(dir.resolve("m.gguf.part"));

    CliRun second = CliRun.run("pull", url, "--out", out.toString(), "--sha256", sha);
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(ranges).containsExactly("", "bytes=" + kept + "-");
    assertThat(Files.readAllBytes(out)).isEqualTo(model);
  }

  @Test
  void aServerThatIgnoresRangeStartsOver() throws Exception {
    honourRange = false;
    Path out = dir.resolve("m.gguf");
    Files.write(dir.resolve("m.gguf.part"), new byte[] {1, 2, 3, 4, 5});
    CliRun r = CliRun.run("pull", base() + "/m.gguf", "--out", out.toString(), "--sha256", sha);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(ranges).containsExactly("bytes=5-");
    assertThat(Files.readAllBytes(out)).isEqualTo(model);
  }

  @Test
  void aChecksumMismatchLeavesNoFile() {
    CliRun r =
        CliRun.run(
            "pull",
            base() + "/stories.gguf",
            "--data-dir",
            dir.resolve("data").toString(),
            "--sha256",
            "0".repeat(64));
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("sha256 mismatch").contains("expected " + "0".repeat(64));
    assertThat(models().resolve("stories.gguf")).doesNotExist();
    assertThat(models().resolve("stories.gguf.part")).doesNotExist();
  }

  @Test
  void aSha256EtagIsChecked() {
    etag = "a".repeat(64);
    CliRun r = CliRun.run("pull", base() + "/s.gguf", "--data-dir", dir.resolve("data").toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("sha256 mismatch").contains("expected " + etag);
    assertThat(models().resolve("s.gguf")).doesNotExist();

    etag = sha;
    CliRun ok =
        CliRun.run("pull", base() + "/s.gguf", "--data-dir", dir.resolve("data").toString());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(models().resolve("s.gguf")).exists();
  }

  @Test
  void notFoundIsAClearError() {
    CliRun r =
        CliRun.run(
            "pull",
            "hf:org/repo/missing.gguf",
            "--hf-endpoint",
            base(),
            "--data-dir",
            dir.resolve("data").toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err())
        .contains("not found (HTTP 404)")
        .contains(base() + "/org/repo/resolve/main/missing.gguf");
    assertThat(models().resolve("missing.gguf")).doesNotExist();
    assertThat(models().resolve("missing.gguf.part")).doesNotExist();
  }

  @Test
  void aBadSourceIsRefused() {
    CliRun r = CliRun.run("pull", "ftp://example.com/x.gguf");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("SOURCE must be hf:ORG/REPO/FILE.gguf");
    assertThat(CliRun.run("pull", "hf:org/x.gguf").err()).contains("hf:ORG/REPO/FILE.gguf");
  }

  @Test
  void theBarShowsBytesPercentSpeedAndEta() {
    assertThat(DownloadProgress.line("m.gguf", 1L << 29, 1L << 30, 1 << 20))
        .contains("50%")
        .contains("512.0 MiB / 1.00 GiB")
        .contains("1.0 MiB/s")
        .contains("ETA 8:32");
  }
}

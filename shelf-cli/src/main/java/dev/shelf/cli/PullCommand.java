package dev.shelf.cli;

import dev.shelf.engine.gguf.GgufException;
import dev.shelf.engine.gguf.GgufFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf pull}: downloads a GGUF file into the data directory's {@code models/} folder.
 *
 * <p>The bytes go to {@code FILE.part} first; a later run finds it and asks for the rest with an
 * HTTP {@code Range} header, appending only when the server answers 206 with a {@code
 * Content-Range} that starts where the part ends (anything else starts over from byte 0). SHA-256
 * is computed as the bytes arrive (a resumed run first hashes the part it keeps) and checked
 * against {@code --sha256}, or else against the ETag when it is a 64-hex SHA-256 as Hugging Face
 * serves for LFS files (in {@code X-Linked-ETag} on the redirect). A mismatch deletes the part. The
 * part must open as GGUF before it is renamed, atomically, to its final name: a final file is
 * always whole and checked.
 */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description = {
      "Download a GGUF model into DATA_DIR/models/ with resume, SHA-256 check and a progress bar.",
      "SOURCE is hf:ORG/REPO/FILE.gguf[@REVISION] or an http(s):// URL. HF_TOKEN, when set, is"
          + " sent as a bearer token to Hugging Face."
    })
final class PullCommand implements Callable<Integer> {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "SOURCE", description = "hf:ORG/REPO/FILE.gguf or a URL.")
  String source;

  @Option(names = "--data-dir", description = "Data directory (default: ./data).")
  Path dataDir = Path.of("data");

  @Option(names = "--out", description = "The file to write (default: DATA_DIR/models/FILE).")
  @Nullable Path out;

  @Option(names = "--sha256", paramLabel = "HEX", description = "Expected SHA-256 of the file.")
  @Nullable String sha256;

  @Option(
      names = "--stall-timeout",
      defaultValue = "60",
      description = "Give up when no bytes arrive for this many seconds (default: 60).")
  int stallSeconds = 60;

  @Option(names = "--force", description = "Download again even when the file exists.")
  boolean force;

  @Option(names = "--no-progress", description = "Print no progress bar on stderr.")
  boolean noProgress;

  @Option(
      names = "--hf-endpoint",
      description = "Hugging Face base URL (default: $HF_ENDPOINT or https://huggingface.co).")
  @Nullable String hfEndpoint;

  /** Where a source points: the URL, the file name, and whether it is on Hugging Face. */
  record Source(URI uri, String fileName, boolean huggingFace) {}

  /** A download that failed in a way the user can act on; the message says how. */
  static final class PullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PullException(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws Exception {
    String endpoint = hfEndpoint;
    if (endpoint == null) {
      endpoint = Optional.ofNullable(System.getenv("HF_ENDPOINT")).orElse("https://huggingface.co");
    }
    Source src;
    try {
      src = parse(source, endpoint);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    String expected = sha256;
    if (expected != null && !HEX64.matcher(expected).matches()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--sha256 must be 64 hex digits but was '" + expected + "'");
    }
    Path target = out != null ? out : dataDir.resolve("models").resolve(src.fileName());
    PrintWriter o = spec.commandLine().getOut();
    if (Files.exists(target) && !force) {
      o.println(target + " already exists (--force downloads it again)");
      o.flush();
      return 0;
    }
    Path parent = target.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    String token = src.huggingFace() ? System.getenv("HF_TOKEN") : null;
    boolean bar = !noProgress && Terminal.stderrIsTerminal();
    var progress = new DownloadProgress(spec.commandLine().getErr(), bar, target.getFileName());
    if (stallSeconds < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--stall-timeout must be >= 1 but was " + stallSeconds);
    }
    String digest =
        download(src.uri(), target, expected, token, Duration.ofSeconds(stallSeconds), progress);
    try (GgufFile gguf = GgufFile.open(target)) {
      o.printf(
          Locale.ROOT,
          "%s: %s, %s, sha256 %s%n",
          target,
          gguf.metadata().getString("general.architecture", "unknown architecture"),
          DownloadProgress.bytes(gguf.size()),
          digest);
    }
    o.flush();
    return 0;
  }

  /** Parses {@code hf:ORG/REPO/PATH[@REVISION]} or an {@code http(s)://} URL. */
  static Source parse(String source, String hfEndpoint) {
    if (source.startsWith("hf:")) {
      String rest = source.substring(3);
      String revision = "main";
      int at = rest.lastIndexOf('@');
      if (at >= 0) {
        revision = rest.substring(at + 1);
        rest = rest.substring(0, at);
      }
      String[] parts = rest.split("/", 3);
      if (parts.length < 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
        throw new IllegalArgumentException(
            "a Hugging Face source is hf:ORG/REPO/FILE.gguf[@REVISION] but was '" + source + "'");
      }
      if (revision.isEmpty()) {
        throw new IllegalArgumentException("empty revision after '@' in '" + source + "'");
      }
      String base = hfEndpoint.endsWith("/") ? hfEndpoint : hfEndpoint + "/";
      URI uri =
          URI.create(
              base
                  + parts[0]
                  + "/"
                  + parts[1]
                  + "/resolve/"
                  + revision
                  + "/"
                  + parts[2].replace(" ", "%20"));
      return new Source(uri, lastSegment(parts[2]), true);
    }
    if (source.startsWith("https://") || source.startsWith("http://")) {
      URI uri;
      try {
        uri = URI.create(source);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a valid URL: '" + source + "'", e);
      }
      String path = uri.getRawPath();
      String name =
          path == null ? "" : URLDecoder.decode(lastSegment(path), StandardCharsets.UTF_8);
      if (name.isEmpty()) {
        throw new IllegalArgumentException("the URL '" + source + "' names no file; give --out");
      }
      return new Source(uri, name, "huggingface.co".equals(uri.getHost()));
    }
    throw new IllegalArgumentException(
        "SOURCE must be hf:ORG/REPO/FILE.gguf[@REVISION] or an http(s):// URL but was '"
            + source
            + "'");
  }

  private static String lastSegment(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /**
   * Downloads {@code uri} to {@code target} through {@code target.part}; returns the SHA-256.
   *
   * @throws PullException on an HTTP error, an interrupted transfer (the part is kept), a checksum
   *     mismatch or a file that is not GGUF (the part is deleted)
   */
  static String download(
      URI uri,
      Path target,
      @Nullable String expectedSha256,
      @Nullable String token,
      Duration stall,
      DownloadProgress progress)
      throws IOException, InterruptedException {
    Path part = target.resolveSibling(target.getFileName() + ".part");
    long have = Files.exists(part) ? Files.size(part) : 0;
    HttpClient client =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30))
            .build();
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
    request.header("User-Agent", "shelf/" + Main.version());
    if (token != null && !token.isBlank()) {
      request.header("Authorization", "Bearer " + token.strip());
    }
    if (have > 0) {
      request.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new PullException("cannot reach " + uri + ": " + describe(e));
    }
    try (InputStream body = response.body()) {
      int status = response.statusCode();
      long offset = 0;
      long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (status == 206) {
        String range = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(range);
        if (have > 0 && m.matches() && Long.parseLong(m.group(1)) == have) {
          offset = have;
          total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        } else {
          // a range we did not ask for: start over without one
          body.close();
          Files.deleteIfExists(part);
          return download(uri, target, expectedSha256, token, stall, progress);
        }
      } else if (status == 416 && have > 0) {
        // the part is as long as the file, or longer: it cannot be trusted, start over
        Files.deleteIfExists(part);
        return download(uri, target, expectedSha256, token, stall, progress);
      } else if (status != 200) {
        throw new PullException(httpError(status, uri));
      }
      String expected = expectedSha256;
      if (expected == null) {
        expected = etagSha256(response);
      }
      MessageDigest sha = sha256();
      if (offset > 0) {
        try (InputStream kept = Files.newInputStream(part)) {
          byte[] buf = new byte[1 << 20];
          for (int n; (n = kept.read(buf)) > 0; ) {
            sha.update(buf, 0, n);
          }
        }
      }
      long done = offset;
      var options =
          offset > 0
              ? new StandardOpenOption[] {StandardOpenOption.APPEND}
              : new StandardOpenOption[] {
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE
              };
      progress.start(offset, total);
      // a read blocks for as long as the server sends nothing: a watchdog shuts the client down
      // (failing the read) after `stall` without a byte
      AtomicLong lastRead = new AtomicLong(System.nanoTime());
      AtomicBoolean stalled = new AtomicBoolean();
      Thread watchdog =
          Thread.ofPlatform()
              .daemon()
              .name("shelf-pull-watchdog")
              .start(() -> watch(client, lastRead, stalled, stall));
      try (OutputStream file = Files.newOutputStream(part, options)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = body.read(buf)) > 0; ) {
          lastRead.set(System.nanoTime());
          file.write(buf, 0, n);
          sha.update(buf, 0, n);
          done += n;
          progress.update(done);
        }
      } catch (IOException e) {
        progress.finish();
        if (stalled.get()) {
          throw new PullException(
              "download of "
                  + uri
                  + " stalled: no bytes for "
                  + stall.toSeconds()
                  + " s after "
                  + done
                  + " bytes; run the same command again to resume from "
                  + part);
        }
        throw new PullException(
            "download of "
                + uri
                + " stopped at "
                + done
                + (total > 0 ? " of " + total : "")
                + " bytes ("
                + describe(e)
                + "); run the same command again to resume from "
                + part);
      } finally {
        watchdog.interrupt();
      }
      progress.finish();
      if (total >= 0 && done != total) {
        throw new PullException(
            "download of "
                + uri
                + " ended at "
                + done
                + " of "
                + total
                + " bytes; run the same command again to resume from "
                + part);
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (expected != null && !expected.equalsIgnoreCase(actual)) {
        Files.deleteIfExists(part);
        throw new PullException(
            "sha256 mismatch for "
                + uri
                + ": expected "
                + expected.toLowerCase(Locale.ROOT)
                + " but the download is "
                + actual
                + "; the partial file was deleted");
      }
      try (GgufFile ignored = GgufFile.open(part)) {
        // it opens: header, metadata and tensor table are whole
      } catch (GgufException | UncheckedIOException e) {
        Files.deleteIfExists(part);
        throw new PullException(uri + " is not a valid GGUF file: " + e.getMessage());
      }
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return actual;
    }
  }

  private static void watch(
      HttpClient client, AtomicLong lastRead, AtomicBoolean stalled, Duration stall) {
    try {
      while (System.nanoTime() - lastRead.get() < stall.toNanos()) {
        Thread.sleep(Math.min(250, Math.max(1, stall.toMillis() / 4)));
      }
      stalled.set(true);
      client.shutdownNow();
    } catch (InterruptedException done) {
      // the download ended
    }
  }

  /** The SHA-256 in an ETag of this response or a redirect before it, if it is one. */
  private static @Nullable String etagSha256(HttpResponse<?> response) {
    for (@Nullable HttpResponse<?> r = response; r != null; r = r.previousResponse().orElse(null)) {
      for (String name : new String[] {"X-Linked-ETag", "ETag"}) {
        String v = r.headers().firstValue(name).orElse("");
        v = v.startsWith("W/") ? v.substring(2) : v;
        v = v.replace("\"", "").strip();
        if (HEX64.matcher(v).matches()) {
          return v.toLowerCase(Locale.ROOT);
        }
      }
    }
    return null;
  }

  private static String httpError(int status, URI uri) {
    return switch (status) {
      case 404 -> "not found (HTTP 404): " + uri + " — check the organisation, repository and file";
      case 401, 403 ->
          "access denied (HTTP "
              + status
              + "): "
              + uri
              + " — a gated or private repository needs HF_TOKEN";
      default -> "the server answered HTTP " + status + " for " + uri;
    };
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }
}

package dev.shelf.cli.bench;

import dev.shelf.cli.bench.Stats.Percentiles;
import dev.shelf.cli.bench.Stats.Result;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Runs <a href="https://github.com/wg/wrk">wrk</a> for the non-streaming phases when asked (the
 * anchor figures in BENCHMARKS.md were taken with it), and reads its summary. wrk reports only the
 * 50/75/90/99th percentiles and the maximum, counts whole seconds, and cannot time a first SSE
 * event, so streaming phases always use the built-in generator.
 */
final class Wrk {
  private static final Pattern REQUESTS =
      Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m|h),");
  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Pattern PERCENTILE =
      Pattern.compile("(?m)^\\s+(50|90|99)(?:\\.000)?%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$");
  private static final Pattern MAX =
      Pattern.compile(
          "(?m)^\\s+Latency\\s+[\\d.]+(?:us|ms|s|m|h)\\s+[\\d.]+(?:us|ms|s|m|h)\\s+([\\d.]+)(us|ms|s|m|h)");

  private Wrk() {}

  /** The wrk executable on the PATH, or null. */
  static @Nullable Path find() {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(Pattern.quote(File.pathSeparator), -1)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, "wrk");
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Runs a warm-up run (discarded) and then the measured run. */
  static Result run(
      Path wrk,
      int port,
      String json,
      @Nullable String bearer,
      int connections,
      Duration warmup,
      Duration window)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("shelf-bench-", ".lua");
    try {
      String lua =
          "wrk.method = \"POST\"\n"
              + "wrk.body = [==["
              + json
              + "]==]\n"
              + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
              + (bearer == null
                  ? ""
                  : "wrk.headers[\"Authorization\"] = \"Bearer " + bearer + "\"\n");
      Files.writeString(script, lua, StandardCharsets.UTF_8);
      if (!warmup.isZero()) {
        exec(wrk, script, port, connections, seconds(warmup));
      }
      long secs = seconds(window);
      return parse(exec(wrk, script, port, connections, secs), secs);
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000); // wrk counts whole seconds
  }

  private static String exec(Path wrk, Path script, int port, int connections, long seconds)
      throws IOException, InterruptedException {
    int threads = Math.max(1, Math.min(connections, Runtime.getRuntime().availableProcessors()));
    var pb =
        new ProcessBuilder(
                wrk.toString(),
                "-t" + threads,
                "-c" + connections,
                "-d" + seconds + "s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                script.toString(),
                "http://127.0.0.1:" + port + "/v1/chat/completions")
            .redirectErrorStream(true);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(seconds + 30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("wrk did not finish");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("wrk failed (exit " + p.exitValue() + "): " + text.strip());
    }
    return text;
  }

  /** Reads wrk's summary (run with {@code --latency}). */
  static Result parse(String out, long windowSeconds) {
    Matcher m = REQUESTS.matcher(out);
    if (!m.find()) {
      throw new IllegalArgumentException("wrk printed no request count:\n" + out);
    }
    long requests = Long.parseLong(m.group(1));
    double seconds = nanos(m.group(2), m.group(3)) / 1e9;
    Matcher r = RATE.matcher(out);
    double rate = r.find() ? Double.parseDouble(r.group(1)) : requests / seconds;
    long errors = 0;
    Matcher e = NON_2XX.matcher(out);
    String firstError = null;
    if (e.find()) {
      errors += Long.parseLong(e.group(1));
      firstError = "wrk: " + e.group();
    }
    Matcher s = SOCKET_ERRORS.matcher(out);
    if (s.find()) {
      for (int i = 1; i <= 4; i++) {
        errors += Long.parseLong(s.group(i));
      }
      if (firstError == null) {
        firstError = "wrk: " + s.group();
      }
    }
    double p50 = Double.NaN;
    double p90 = Double.NaN;
    double p99 = Double.NaN;
    Matcher p = PERCENTILE.matcher(out);
    while (p.find()) {
      double v = nanos(p.group(2), p.group(3));
      switch (p.group(1)) {
        case "50" -> p50 = v;
        case "90" -> p90 = v;
        default -> p99 = v;
      }
    }
    Matcher x = MAX.matcher(out);
    double max = x.find() ? nanos(x.group(1), x.group(2)) : Double.NaN;
    return new Result(
        requests,
        errors,
        seconds > 0 ? seconds : windowSeconds,
        rate,
        new Percentiles(requests, p50, p90, p99, max),
        null,
        firstError);
  }

  private static double nanos(String value, String unit) {
    double v = Double.parseDouble(value);
    return switch (unit.toLowerCase(Locale.ROOT)) {
      case "us" -> v * 1e3;
      case "ms" -> v * 1e6;
      case "s" -> v * 1e9;
      case "m" -> v * 60e9;
      default -> v * 3600e9;
    };
  }
}

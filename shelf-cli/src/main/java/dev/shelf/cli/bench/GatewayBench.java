package dev.shelf.cli.bench;

import dev.shelf.cli.bench.GatewayReport.Outcome;
import dev.shelf.cli.bench.GatewayReport.Phase;
import dev.shelf.cli.bench.HttpLoad.Mode;
import dev.shelf.cli.bench.Stats.Result;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code shelf bench gateway}: what Shelf adds between a client and an upstream. One process runs
 * an OpenAI-compatible stub on loopback, Shelf in front of it, and a load generator; each phase
 * runs the same load straight at the stub and then through Shelf, and the report puts the two side
 * by side with the difference (latency) or the ratio (throughput), next to the targets in
 * BENCHMARKS.md.
 *
 * <p>Phases: c=1 whole answers (latency), c=1 streams (time to the first SSE event), whole answers
 * at each {@code --concurrency} (throughput), streams at each {@code --stream-concurrency}. Each
 * has a warm-up and a measured window. Any error makes the exit status 1, since a run with errors
 * has not measured what it says; a missed target does not (single runs on shared machines swing).
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    description = {
      "Measure what Shelf adds: the same load straight at an in-process OpenAI-compatible stub"
          + " and through Shelf, side by side, against the targets in BENCHMARKS.md.",
      "Exit status 1 if any request failed."
    })
public final class GatewayBench implements Callable<Integer> {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--duration",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "Measured window of each phase, e.g. 5s or 500ms (default: ${DEFAULT-VALUE}).")
  Duration duration = Duration.ofSeconds(5);

  @Option(
      names = "--warmup",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Warm-up before each measured window (default: ${DEFAULT-VALUE}).")
  Duration warmup = Duration.ofSeconds(2);

  @Option(
      names = "--concurrency",
      split = ",",
      defaultValue = "32,256",
      paramLabel = "N",
      description =
          "Connections for the non-streaming throughput phases (default: ${DEFAULT-VALUE}).")
  List<Integer> concurrency = new ArrayList<>();

  @Option(
      names = "--stream-concurrency",
      split = ",",
      defaultValue = "32",
      paramLabel = "N",
      description = "Connections for the streaming throughput phases (default: ${DEFAULT-VALUE}).")
  List<Integer> streamConcurrency = new ArrayList<>();

  @Option(
      names = "--with-auth",
      description = "Give Shelf a master key and send it, so key checking is measured too.")
  boolean withAuth;

  @Option(
      names = "--accounts",
      split = ",",
      paramLabel = "STORE",
      description =
          "Also run every phase through a Shelf with accounts on (stored key with limits and a"
              + " budget, group-commit metering): sqlite (temporary directory), postgres (fresh"
              + " database and Redis counters), or both as sqlite,postgres.")
  List<String> accounts = new ArrayList<>();

  @Option(
      names = "--pg-url",
      defaultValue = "jdbc:postgresql://127.0.0.1:5432/postgres",
      description =
          "PostgreSQL for --accounts postgres; a fresh database is made next to this one and"
              + " dropped (user postgres; default: ${DEFAULT-VALUE}).")
  String pgUrl = "jdbc:postgresql://127.0.0.1:5432/postgres";

  @Option(
      names = "--redis-url",
      defaultValue = "redis://127.0.0.1:6379",
      description = "Redis for --accounts postgres (default: ${DEFAULT-VALUE}).")
  String redisUrl = "redis://127.0.0.1:6379";

  @Option(names = "--json", description = "Also print the results as JSON.")
  boolean json;

  @Option(
      names = "--wrk",
      description =
          "Use wrk from the PATH for the non-streaming phases (streams always use the built-in"
              + " generator, which times the first event).")
  boolean wrk;

  @Option(names = "--no-progress", description = "Print no progress on stderr.")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    validate();
    PrintWriter out = spec.commandLine().getOut();
    List<Phase> phases = phases();
    Progress progress =
        noProgress ? Progress.none() : Progress.stderr(phases.size() * (2 + accounts.size()));
    Path wrkPath = null;
    if (wrk) {
      wrkPath = Wrk.find();
      if (wrkPath == null) {
        spec.commandLine()
            .getErr()
            .println("warning: wrk is not on the PATH; using the built-in load generator");
      }
    }
    String key = withAuth ? "sk-bench-" + HexFormat.of().formatHex(randomBytes()) : null;
    progress.note("starting the stub upstream and Shelf in front of it...");
    var metered = new ArrayList<MeteredShelf>();
    try (var rig = BenchRig.start(key)) {
      for (String a : accounts) {
        progress.note("starting Shelf with accounts on " + a + "...");
        metered.add(MeteredShelf.start(a, rig.stubPort(), pgUrl, redisUrl));
      }
      String broken = preflight(rig, metered);
      if (broken != null) {
        progress.clear();
        spec.commandLine().getErr().println("error: " + broken);
        return 1;
      }
      var outcomes = new ArrayList<Outcome>();
      var meteredResults = new ArrayList<List<Result>>();
      for (int i = 0; i < metered.size(); i++) {
        meteredResults.add(new ArrayList<>());
      }
      for (Phase p : phases) {
        long c0 = rig.stub().connections();
        Result direct = side(rig, p, false, progress, wrkPath);
        long c1 = rig.stub().connections();
        Result shelf = side(rig, p, true, progress, wrkPath);
        long c2 = rig.stub().connections();
        outcomes.add(new Outcome(p, direct, shelf, c1 - c0, c2 - c1));
        for (int i = 0; i < metered.size(); i++) {
          meteredResults.get(i).add(metered(metered.get(i), p, progress, wrkPath));
        }
      }
      progress.clear();
      var report =
          new GatewayReport(
              new GatewayReport.Settings(
                  warmup,
                  duration,
                  key != null,
                  wrkPath == null ? "built-in" : "wrk (non-streaming), built-in (streaming)",
                  Runtime.getRuntime().availableProcessors(),
                  Runtime.version().toString()),
              outcomes,
              rig.stub().wholeAnswers(),
              rig.stub().streamAnswers());
      report.print(out);
      AccountsReport withAccounts = null;
      if (!metered.isEmpty()) {
        var ms = new ArrayList<AccountsReport.Metered>();
        for (int i = 0; i < metered.size(); i++) {
          MeteredShelf m = metered.get(i);
          ms.add(
              new AccountsReport.Metered(
                  m.store(), m.title(), meteredResults.get(i), m.recorded()));
        }
        var shelfResults = new ArrayList<Result>();
        for (Outcome o : outcomes) {
          shelfResults.add(o.shelf());
        }
        withAccounts = new AccountsReport(phases, shelfResults, ms);
        withAccounts.print(out);
      }
      if (json) {
        out.println(report.json(withAccounts == null ? null : withAccounts.json()));
      }
      out.flush();
      long errors = report.errors() + (withAccounts == null ? 0 : withAccounts.errors());
      return errors > 0 ? 1 : 0;
    } finally {
      for (MeteredShelf m : metered) {
        m.close();
      }
    }
  }

  private void validate() {
    for (String a : accounts) {
      if (!a.equals("sqlite") && !a.equals("postgres")) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--accounts must be sqlite or postgres but was " + a);
      }
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--duration must be > 0 but was " + duration.toMillis() + " ms");
    }
    if (warmup.isNegative()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--warmup must be >= 0 but was " + warmup.toMillis() + " ms");
    }
    for (List<Integer> list : List.of(concurrency, streamConcurrency)) {
      for (int c : list) {
        if (c < 1 || c > 10_000) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "concurrency must be 1 to 10000 but was " + c);
        }
      }
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[16];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  /** The phases of this run, in order. */
  List<Phase> phases() {
    var out = new ArrayList<Phase>();
    out.add(new Phase("c1_whole", "c=1 non-streaming", Mode.WHOLE, 1, true));
    out.add(new Phase("c1_stream", "c=1 streaming", Mode.STREAM, 1, true));
    for (int c : concurrency) {
      out.add(new Phase("c" + c + "_whole", "c=" + c + " non-streaming", Mode.WHOLE, c, false));
    }
    for (int c : streamConcurrency) {
      out.add(new Phase("c" + c + "_stream", "c=" + c + " streaming", Mode.STREAM, c, false));
    }
    return out;
  }

  /** One request each way through Shelf, so a broken set-up fails in a second, not a minute. */
  private static @Nullable String preflight(BenchRig rig, List<MeteredShelf> metered) {
    for (MeteredShelf m : metered) {
      for (boolean stream : new boolean[] {false, true}) {
        String problem =
            HttpLoad.once(m.port(), m.request(stream), stream ? Mode.STREAM : Mode.WHOLE);
        if (problem != null) {
          return "a request through Shelf with accounts on " + m.store() + " failed: " + problem;
        }
      }
    }
    for (boolean stream : new boolean[] {false, true}) {
      String problem =
          HttpLoad.once(
              rig.shelfPort(),
              rig.request(rig.shelfPort(), stream),
              stream ? Mode.STREAM : Mode.WHOLE);
      if (problem != null) {
        return "a "
            + (stream ? "streaming" : "non-streaming")
            + " request through Shelf failed: "
            + problem;
      }
    }
    return null;
  }

  private Result metered(MeteredShelf m, Phase p, Progress progress, @Nullable Path wrkPath)
      throws IOException, InterruptedException {
    String what = p.title() + ", through Shelf with accounts on " + m.store();
    HttpLoad.Ticker ticker = progress.phase(what);
    if (wrkPath != null && p.mode() == Mode.WHOLE) {
      progress.note("[wrk] " + what);
      return Wrk.run(
          wrkPath, m.port(), BenchRig.WHOLE_JSON, m.key(), p.connections(), warmup, duration);
    }
    return HttpLoad.run(
        m.port(),
        m.request(p.mode() == Mode.STREAM),
        p.mode(),
        p.connections(),
        warmup,
        duration,
        ticker);
  }

  private Result side(
      BenchRig rig, Phase p, boolean viaShelf, Progress progress, @Nullable Path wrkPath)
      throws IOException, InterruptedException {
    int port = viaShelf ? rig.shelfPort() : rig.stubPort();
    HttpLoad.Ticker ticker =
        progress.phase(p.title() + (viaShelf ? ", through Shelf" : ", direct"));
    if (wrkPath != null && p.mode() == Mode.WHOLE) {
      progress.note("[wrk] " + p.title() + (viaShelf ? ", through Shelf" : ", direct"));
      return Wrk.run(
          wrkPath, port, BenchRig.WHOLE_JSON, rig.key(), p.connections(), warmup, duration);
    }
    return HttpLoad.run(
        port,
        rig.request(port, p.mode() == Mode.STREAM),
        p.mode(),
        p.connections(),
        warmup,
        duration,
        ticker);
  }

  /** Reads durations written like 5s, 500ms, 1.5s, 2m or a plain number of seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?");

    @Override
    public Duration convert(String value) {
      Matcher m = FORM.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException(
            "must be a duration like 5s, 500ms or 1m but was '" + value + "'");
      }
      double n = Double.parseDouble(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      double millis =
          switch (unit) {
            case "ms" -> n;
            case "m" -> n * 60_000;
            default -> n * 1000;
          };
      return Duration.ofMillis(Math.round(millis));
    }
  }
}

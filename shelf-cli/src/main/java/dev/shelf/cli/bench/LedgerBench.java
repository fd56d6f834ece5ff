package dev.shelf.cli.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.cli.bench.LedgerRun.Result;
import dev.shelf.cli.bench.Stats.Percentiles;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiLedger;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code shelf bench ledger}: usage records per second through the real group-commit {@link
 * dev.shelf.gateway.metering.Meter} into the real ledger, with durability on (SQLite WAL with
 * {@code synchronous=FULL} in a temporary directory; a fresh PostgreSQL database, created and
 * dropped, with its default {@code synchronous_commit=on}). Many virtual-thread writers each wait
 * for their record's commit, as a request does before its last bytes go out. The baseline, in the
 * same run, is one transaction per record. Exit status 1 if a record failed or the ledger did not
 * end up holding exactly what was appended; a missed target does not fail the run.
 */
@Command(
    name = "ledger",
    mixinStandardHelpOptions = true,
    description = {
      "Measure sustained usage records/s through the group-commit meter into the ledger, with"
          + " durability on, against one transaction per record in the same run.",
      "Exit status 1 if any record failed or the ledger's check failed."
    })
public final class LedgerBench implements Callable<Integer> {
  /** BENCHMARKS.md: records per second sustained on SQLite and on PostgreSQL. */
  static final double TARGET = 20_000;

  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--db",
      defaultValue = "both",
      description = "sqlite, postgres or both (default: ${DEFAULT-VALUE}).")
  String db = "both";

  @Option(
      names = "--seconds",
      defaultValue = "5",
      description = "Measured window per database, seconds (default: ${DEFAULT-VALUE}).")
  double seconds = 5;

  @Option(
      names = "--warmup",
      defaultValue = "1",
      description = "Warm-up before the window, seconds (default: ${DEFAULT-VALUE}).")
  double warmup = 1;

  @Option(
      names = "--writers",
      defaultValue = "256",
      description =
          "Concurrent writers (virtual threads), each waiting for its commit (default:"
              + " ${DEFAULT-VALUE}).")
  int writers = 256;

  @Option(
      names = "--max-batch",
      defaultValue = "512",
      description = "Most records per commit, as billing.max_batch (default: ${DEFAULT-VALUE}).")
  int maxBatch = 512;

  @Option(
      names = "--baseline-threads",
      defaultValue = "4",
      description =
          "Threads of the one-transaction-per-record baseline (default: ${DEFAULT-VALUE}).")
  int baselineThreads = 4;

  @Option(
      names = "--baseline-seconds",
      defaultValue = "2",
      description = "Window of the baseline, seconds (default: ${DEFAULT-VALUE}).")
  double baselineSeconds = 2;

  @Option(
      names = "--pg-url",
      defaultValue = "jdbc:postgresql://127.0.0.1:5432/postgres",
      description =
          "A PostgreSQL server's JDBC URL; a fresh database is created next to the one it names"
              + " and dropped afterwards (default: ${DEFAULT-VALUE}).")
  String pgUrl = "jdbc:postgresql://127.0.0.1:5432/postgres";

  @Option(
      names = "--pg-user",
      defaultValue = "postgres",
      description = "(default: ${DEFAULT-VALUE})")
  String pgUser = "postgres";

  @Option(names = "--pg-password", description = "PostgreSQL password, if any.")
  @Nullable String pgPassword;

  @Option(
      names = "--sqlite-sync",
      defaultValue = "normal",
      description =
          "SQLite's synchronous mode, as database.sqlite_sync: normal (commits survive a killed"
              + " process) or full (and power loss) (default: ${DEFAULT-VALUE}).")
  String sqliteSync = "normal";

  @Option(names = "--json", description = "Also print the results as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    List<String> dbs =
        switch (db) {
          case "sqlite" -> List.of("sqlite");
          case "postgres" -> List.of("postgres");
          case "both" -> List.of("sqlite", "postgres");
          default ->
              throw new CommandLine.ParameterException(
                  spec.commandLine(), "--db must be sqlite, postgres or both but was " + db);
        };
    positive("--seconds", seconds);
    positive("--baseline-seconds", baselineSeconds);
    if (writers < 1 || maxBatch < 1 || baselineThreads < 1 || warmup < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--writers, --max-batch and --baseline-threads must be >= 1 and --warmup >= 0 but were "
              + writers
              + ", "
              + maxBatch
              + ", "
              + baselineThreads
              + ", "
              + warmup);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "Ledger benchmark: %d writers, max batch %d, %.1f s window after %.1f s warm-up; %d CPUs,"
            + " Java %s%n",
        writers,
        maxBatch,
        seconds,
        warmup,
        Runtime.getRuntime().availableProcessors(),
        Runtime.version());
    out.flush();
    var results = new ArrayList<Result>();
    for (String d : dbs) {
      Result r = d.equals("sqlite") ? sqlite() : postgres();
      results.add(r);
      print(out, r);
      out.flush();
    }
    if (json) {
      out.println(json(results));
    }
    out.flush();
    return results.stream().allMatch(Result::consistent) ? 0 : 1;
  }

  private void positive(String name, double v) {
    if (!(v > 0)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), name + " must be > 0 but was " + v);
    }
  }

  private Result sqlite() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("shelf-ledger-bench");
    try (var database = Database.sqlite(dir.resolve("shelf.db"), sqliteSync.equals("full"))) {
      return measure("sqlite-" + sqliteSync, database);
    } finally {
      delete(dir);
    }
  }

  private Result postgres() throws SQLException, InterruptedException {
    int slash = pgUrl.lastIndexOf('/');
    int query = pgUrl.indexOf('?', slash);
    String name = "shelf_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String url = pgUrl.substring(0, slash + 1) + name + (query < 0 ? "" : pgUrl.substring(query));
    try (Connection c = DriverManager.getConnection(pgUrl, pgUser, pgPassword);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    try (var database = Database.postgres(url, pgUser, pgPassword, 8)) {
      return measure("postgres", database);
    } finally {
      try (Connection c = DriverManager.getConnection(pgUrl, pgUser, pgPassword);
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
    }
  }

  private Result measure(String name, Database database) throws InterruptedException {
    return LedgerRun.run(
        name,
        new JdbiLedger(database),
        baselineThreads,
        Duration.ofMillis(Math.round(baselineSeconds * 1000)),
        writers,
        maxBatch,
        Duration.ofMillis(Math.round(warmup * 1000)),
        Duration.ofMillis(Math.round(seconds * 1000)));
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  static void print(PrintWriter out, Result r) {
    String what =
        r.db().startsWith("sqlite")
            ? "SQLite (WAL, synchronous="
                + r.db().substring("sqlite-".length()).toUpperCase(Locale.ROOT)
                + ")"
            : "PostgreSQL (synchronous_commit=on)";
    out.println();
    out.println(what);
    out.printf(
        Locale.ROOT,
        "  one transaction per record, %d threads   %,10.0f records/s%n",
        r.baselineThreads(),
        r.baselinePerSecond());
    out.printf(
        Locale.ROOT,
        "  group commit, %d writers             %,10.0f records/s   %.1fx the baseline   %.2fx"
            + " the %,.0f/s target  %s%n",
        r.writers(),
        r.perSecond(),
        r.perSecond() / r.baselinePerSecond(),
        r.perSecond() / TARGET,
        TARGET,
        r.perSecond() >= TARGET ? "PASS" : "MISS");
    Percentiles b = r.batch();
    out.printf(
        Locale.ROOT,
        "  records per commit   p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  (%d commits)%n",
        b.p50(),
        b.p90(),
        b.p99(),
        b.max(),
        b.samples());
    out.printf(Locale.ROOT, "  commit time          %s%n", ms(r.commit()));
    out.printf(Locale.ROOT, "  wait per record      %s%n", ms(r.recordWait()));
    out.printf(
        Locale.ROOT,
        "  check                %,d records in the ledger, %,d counted in the rollups, %,d"
            + " appended: %s%n",
        r.ledgerRecords(),
        r.rollupRequests(),
        r.expected(),
        r.consistent() ? "consistent" : "INCONSISTENT");
  }

  private static String ms(Percentiles p) {
    return String.format(
        Locale.ROOT,
        "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms",
        p.p50() / 1e6,
        p.p90() / 1e6,
        p.p99() / 1e6,
        p.max() / 1e6);
  }

  static String json(List<Result> results) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("target_records_per_second", TARGET);
    ArrayNode dbs = root.putArray("databases");
    for (Result r : results) {
      ObjectNode o = dbs.addObject();
      o.put("db", r.db());
      o.put("baseline_threads", r.baselineThreads());
      o.put("baseline_records_per_second", r.baselinePerSecond());
      o.put("writers", r.writers());
      o.put("records", r.records());
      o.put("seconds", r.seconds());
      o.put("records_per_second", r.perSecond());
      o.put("ratio_to_baseline", r.perSecond() / r.baselinePerSecond());
      o.put("ratio_to_target", r.perSecond() / TARGET);
      put(o.putObject("batch"), r.batch(), 1);
      put(o.putObject("commit_ms"), r.commit(), 1e6);
      put(o.putObject("wait_ms"), r.recordWait(), 1e6);
      o.put("consistent", r.consistent());
    }
    return root.toString();
  }

  private static void put(ObjectNode o, Percentiles p, double div) {
    o.put("samples", p.samples());
    o.put("p50", p.p50() / div);
    o.put("p90", p.p90() / div);
    o.put("p99", p.p99() / div);
    o.put("max", p.max() / div);
  }
}

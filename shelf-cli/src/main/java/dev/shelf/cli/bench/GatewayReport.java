package dev.shelf.cli.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.cli.bench.HttpLoad.Mode;
import dev.shelf.cli.bench.Stats.Percentiles;
import dev.shelf.cli.bench.Stats.Result;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The gateway benchmark's report: direct and through-Shelf side by side, the difference or ratio,
 * and the targets from BENCHMARKS.md with PASS or MISS; as a text table and as JSON.
 */
final class GatewayReport {
  /** Added p50 latency at c=1, non-streaming (BENCHMARKS.md). */
  static final double TARGET_ADDED_P50_MS = 0.3;

  /** Added p50 time to the first streamed event at c=1 (BENCHMARKS.md). */
  static final double TARGET_ADDED_FIRST_EVENT_MS = 0.5;

  /** Non-streaming throughput at c=32 (BENCHMARKS.md; stated with auth, limits, metering on). */
  static final double TARGET_RPS_C32 = 10_000;

  /** One phase: a mode at a concurrency; {@code latency} phases report c=1 percentiles. */
  record Phase(String key, String title, Mode mode, int connections, boolean latency) {}

  /**
   * A phase's two runs, with the connections the stub accepted during each: the load generator's
   * own for the direct run, Shelf's to its upstream for the other (a pooling client opens about as
   * many as it has requests in flight; one per request means the pool is not reused).
   */
  record Outcome(
      Phase phase,
      Result direct,
      Result shelf,
      long directStubConnections,
      long shelfStubConnections) {}

  record Settings(
      Duration warmup, Duration window, boolean auth, String generator, int cpus, String java) {}

  /** A target check. */
  record Verdict(String name, double value, String unit, String limit, boolean pass) {}

  private final Settings settings;
  private final List<Outcome> outcomes;
  private final long stubWhole;
  private final long stubStreams;

  GatewayReport(Settings settings, List<Outcome> outcomes, long stubWhole, long stubStreams) {
    this.settings = settings;
    this.outcomes = List.copyOf(outcomes);
    this.stubWhole = stubWhole;
    this.stubStreams = stubStreams;
  }

  long errors() {
    long n = 0;
    for (Outcome o : outcomes) {
      n += o.direct().errors() + o.shelf().errors();
    }
    return n;
  }

  List<Verdict> verdicts() {
    var out = new ArrayList<Verdict>();
    for (Outcome o : outcomes) {
      Phase p = o.phase();
      if (p.latency() && p.mode() == Mode.WHOLE) {
        double added = ms(o.shelf().latency().p50() - o.direct().latency().p50());
        out.add(
            new Verdict(
                "c1_added_p50",
                added,
                "ms",
                "<= " + TARGET_ADDED_P50_MS + " ms",
                added <= TARGET_ADDED_P50_MS));
      } else if (p.latency() && p.mode() == Mode.STREAM) {
        double added = ms(firstEvent(o.shelf()).p50() - firstEvent(o.direct()).p50());
        out.add(
            new Verdict(
                "c1_added_first_event_p50",
                added,
                "ms",
                "<= " + TARGET_ADDED_FIRST_EVENT_MS + " ms",
                added <= TARGET_ADDED_FIRST_EVENT_MS));
      } else if (p.mode() == Mode.WHOLE && p.connections() == 32) {
        double rps = o.shelf().perSecond();
        out.add(
            new Verdict(
                "c32_shelf_rps",
                rps,
                "req/s",
                String.format(Locale.ROOT, ">= %,.0f req/s", TARGET_RPS_C32),
                rps >= TARGET_RPS_C32));
      }
    }
    return out;
  }

  void print(PrintWriter out) {
    out.println(
        "shelf bench gateway: the same load straight at a loopback OpenAI-compatible stub"
            + " (direct) and through Shelf");
    out.printf(
        Locale.ROOT,
        "  %d CPUs, Java %s; load: %s, closed loop, keep-alive; warm-up %s + measured %s per"
            + " phase; auth %s%n%n",
        settings.cpus(),
        settings.java(),
        settings.generator(),
        human(settings.warmup()),
        human(settings.window()),
        settings.auth() ? "on (master key sent)" : "off");
    var rows = new ArrayList<List<String>>();
    rows.add(List.of("measure", "direct", "through Shelf", "Shelf vs direct", "target", "result"));
    for (Outcome o : outcomes) {
      rows.addAll(rows(o));
    }
    table(out, rows);
    out.println();
    var counts = new ArrayList<List<String>>();
    counts.add(
        List.of(
            "phase",
            "direct: done",
            "errors",
            "Shelf: done",
            "errors",
            "Shelf's new upstream connections"));
    for (Outcome o : outcomes) {
      counts.add(
          List.of(
              o.phase().title(),
              String.format(Locale.ROOT, "%,d", o.direct().completed()),
              Long.toString(o.direct().errors()),
              String.format(Locale.ROOT, "%,d", o.shelf().completed()),
              Long.toString(o.shelf().errors()),
              String.format(Locale.ROOT, "%,d", o.shelfStubConnections())));
    }
    table(out, counts);
    for (Outcome o : outcomes) {
      if (o.direct().firstError() != null) {
        out.printf("  first error, %s direct: %s%n", o.phase().title(), o.direct().firstError());
      }
      if (o.shelf().firstError() != null) {
        out.printf(
            "  first error, %s through Shelf: %s%n", o.phase().title(), o.shelf().firstError());
      }
    }
    out.printf(
        Locale.ROOT,
        "stub answers: %,d whole, %,d streamed (Shelf always streams from its upstream and"
            + " aggregates for non-streaming clients)%n",
        stubWhole,
        stubStreams);
    out.println(
        "Portkey 1.15.2 on this machine kind (BENCHMARKS.md, wrk): +1.6-1.8 ms p50 at c=1; first"
            + " event 29 ms; 945-1,039 req/s at c=32; 834 req/s at c=256; 708 streams/s at c=32.");
    if (!settings.auth()) {
      out.println(
          "Note: the c=32 target is stated with auth on; --with-auth measures key checking too.");
    }
    long errors = errors();
    out.println(
        errors == 0
            ? "errors: none"
            : "errors: " + errors + " (the figures above are not trustworthy)");
  }

  private List<List<String>> rows(Outcome o) {
    Phase p = o.phase();
    Result d = o.direct();
    Result s = o.shelf();
    var rows = new ArrayList<List<String>>();
    List<Verdict> verdicts = verdicts();
    if (p.latency()) {
      boolean stream = p.mode() == Mode.STREAM;
      Percentiles dp = stream ? firstEvent(d) : d.latency();
      Percentiles sp = stream ? firstEvent(s) : s.latency();
      String what = p.title() + (stream ? " first event" : " latency");
      Verdict v = find(verdicts, stream ? "c1_added_first_event_p50" : "c1_added_p50");
      rows.add(
          List.of(
              what + " p50",
              ms3(dp.p50()),
              ms3(sp.p50()),
              added(sp.p50() - dp.p50()),
              v == null ? "" : "added " + v.limit(),
              v == null ? "" : v.pass() ? "PASS" : "MISS"));
      rows.add(
          List.of(what + " p99", ms3(dp.p99()), ms3(sp.p99()), added(sp.p99() - dp.p99()), "", ""));
      return rows;
    }
    String unit = p.mode() == Mode.STREAM ? "streams/s" : "req/s";
    Verdict v =
        p.mode() == Mode.WHOLE && p.connections() == 32 ? find(verdicts, "c32_shelf_rps") : null;
    rows.add(
        List.of(
            p.title() + " throughput",
            rate(d.perSecond(), unit),
            rate(s.perSecond(), unit),
            d.perSecond() > 0
                ? String.format(Locale.ROOT, "%.2fx", s.perSecond() / d.perSecond())
                : "-",
            v == null ? "" : v.limit(),
            v == null ? "" : v.pass() ? "PASS" : "MISS"));
    rows.add(
        List.of(
            p.title() + " latency p50 / p99",
            pair(d.latency()),
            pair(s.latency()),
            added(s.latency().p50() - d.latency().p50())
                + " / "
                + added(s.latency().p99() - d.latency().p99()),
            "",
            ""));
    if (p.mode() == Mode.STREAM) {
      Percentiles df = firstEvent(d);
      Percentiles sf = firstEvent(s);
      rows.add(
          List.of(
              p.title() + " first event p50 / p99",
              pair(df),
              pair(sf),
              added(sf.p50() - df.p50()) + " / " + added(sf.p99() - df.p99()),
              "",
              ""));
    }
    return rows;
  }

  private static @Nullable Verdict find(List<Verdict> verdicts, String name) {
    for (Verdict v : verdicts) {
      if (v.name().equals(name)) {
        return v;
      }
    }
    return null;
  }

  private static Percentiles firstEvent(Result r) {
    Percentiles p = r.firstEvent();
    return p == null ? Percentiles.NONE : p;
  }

  /** The report as JSON: settings, each phase's two sides, and the target verdicts. */
  String json(com.fasterxml.jackson.databind.@Nullable JsonNode accounts) {
    ObjectNode root = Json.object();
    root.put("benchmark", "gateway");
    ObjectNode s = root.putObject("settings");
    s.put("warmup_ms", settings.warmup().toMillis());
    s.put("duration_ms", settings.window().toMillis());
    s.put("auth", settings.auth());
    s.put("generator", settings.generator());
    s.put("cpus", settings.cpus());
    s.put("java", settings.java());
    var phases = root.putArray("phases");
    for (Outcome o : outcomes) {
      ObjectNode p = phases.addObject();
      p.put("name", o.phase().key());
      p.put("mode", o.phase().mode() == Mode.STREAM ? "streaming" : "non-streaming");
      p.put("concurrency", o.phase().connections());
      side(p.putObject("direct"), o.direct());
      side(p.putObject("shelf"), o.shelf());
      p.put("direct_stub_connections", o.directStubConnections());
      p.put("shelf_upstream_connections", o.shelfStubConnections());
      if (o.direct().perSecond() > 0) {
        p.put("throughput_ratio", round(o.shelf().perSecond() / o.direct().perSecond()));
      }
      p.put("added_p50_ms", round(ms(o.shelf().latency().p50() - o.direct().latency().p50())));
      p.put("added_p99_ms", round(ms(o.shelf().latency().p99() - o.direct().latency().p99())));
      if (o.phase().mode() == Mode.STREAM) {
        p.put(
            "added_first_event_p50_ms",
            round(ms(firstEvent(o.shelf()).p50() - firstEvent(o.direct()).p50())));
      }
    }
    var targets = root.putArray("targets");
    for (Verdict v : verdicts()) {
      ObjectNode t = targets.addObject();
      t.put("name", v.name());
      t.put("value", round(v.value()));
      t.put("unit", v.unit());
      t.put("limit", v.limit());
      t.put("pass", v.pass());
    }
    ObjectNode stub = root.putObject("stub");
    stub.put("whole_answers", stubWhole);
    stub.put("stream_answers", stubStreams);
    root.put("errors", errors());
    if (accounts != null) {
      root.set("accounts", accounts);
    }
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void side(ObjectNode n, Result r) {
    n.put("completed", r.completed());
    n.put("errors", r.errors());
    n.put("seconds", round(r.seconds()));
    n.put("per_second", round(r.perSecond()));
    percentiles(n.putObject("latency_ms"), r.latency());
    Percentiles fe = r.firstEvent();
    if (fe != null) {
      percentiles(n.putObject("first_event_ms"), fe);
    }
    if (r.firstError() != null) {
      n.put("first_error", r.firstError());
    }
  }

  private static void percentiles(ObjectNode n, Percentiles p) {
    n.put("p50", round(ms(p.p50())));
    n.put("p90", round(ms(p.p90())));
    n.put("p99", round(ms(p.p99())));
    n.put("max", round(ms(p.max())));
  }

  static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 1000) / 1000.0;
  }

  private static double ms(double nanos) {
    return nanos / 1e6;
  }

  private static String ms3(double nanos) {
    return Double.isNaN(nanos) ? "-" : number(ms(nanos)) + " ms";
  }

  private static String pair(Percentiles p) {
    return Double.isNaN(p.p50()) ? "-" : number(ms(p.p50())) + " / " + ms3(p.p99());
  }

  private static String added(double nanos) {
    if (Double.isNaN(nanos)) {
      return "-";
    }
    return (nanos >= 0 ? "+" : "-") + number(Math.abs(ms(nanos))) + " ms";
  }

  private static String number(double millis) {
    return String.format(
        Locale.ROOT, millis < 10 ? "%.3f" : millis < 100 ? "%.2f" : "%.1f", millis);
  }

  private static String rate(double v, String unit) {
    return String.format(Locale.ROOT, "%,.0f %s", v, unit);
  }

  private static String human(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
  }

  static void table(PrintWriter out, List<List<String>> rows) {
    int cols = rows.getFirst().size();
    int[] width = new int[cols];
    for (List<String> r : rows) {
      for (int i = 0; i < cols; i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    for (List<String> r : rows) {
      var sb = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        sb.append(r.get(i));
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - r.get(i).length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}

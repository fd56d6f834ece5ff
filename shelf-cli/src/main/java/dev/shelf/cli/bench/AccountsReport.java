package dev.shelf.cli.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.shelf.api.Json;
import dev.shelf.cli.bench.GatewayReport.Phase;
import dev.shelf.cli.bench.HttpLoad.Mode;
import dev.shelf.cli.bench.Stats.Result;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The accounts part of {@code shelf bench gateway --accounts}: each phase through Shelf without
 * accounts and through Shelf with them (stored key, limits, budget reservation, group-commit
 * metering), side by side with the ratio; and a check that the ledger holds at least one record per
 * completed request, so a run cannot report metered throughput that was not metered.
 */
final class AccountsReport {
  /** One accounts store's runs, in phase order, and the records its ledger held at the end. */
  record Metered(String store, String title, List<Result> results, long recorded) {
    long completed() {
      long n = 0;
      for (Result r : results) {
        n += r.completed();
      }
      return n;
    }

    long errors() {
      long n = 0;
      for (Result r : results) {
        n += r.errors();
      }
      return n;
    }

    boolean ledgerComplete() {
      return recorded >= completed();
    }
  }

  private final List<Phase> phases;
  private final List<Result> plain;
  private final List<Metered> metered;

  AccountsReport(List<Phase> phases, List<Result> plain, List<Metered> metered) {
    this.phases = List.copyOf(phases);
    this.plain = List.copyOf(plain);
    this.metered = List.copyOf(metered);
  }

  /** Failed requests, plus one for each ledger that holds fewer records than requests completed. */
  long errors() {
    long n = 0;
    for (Metered m : metered) {
      n += m.errors() + (m.ledgerComplete() ? 0 : 1);
    }
    return n;
  }

  void print(PrintWriter out) {
    out.println();
    out.println(
        "With accounts on (stored key with rpm/tpm/concurrency/budget limits that never refuse:"
            + " key cache, admission, budget reservation, group-commit ledger record before the"
            + " last byte, settlement) vs Shelf without accounts, same stub, same run:");
    for (Metered m : metered) {
      out.println("  " + m.store() + ": " + m.title());
    }
    var rows = new ArrayList<List<String>>();
    var head = new ArrayList<String>(List.of("measure", "no accounts"));
    for (Metered m : metered) {
      head.add("accounts: " + m.store());
      head.add("vs no accounts");
    }
    rows.add(head);
    for (int i = 0; i < phases.size(); i++) {
      Phase p = phases.get(i);
      Result base = plain.get(i);
      String unit = p.mode() == Mode.STREAM ? "streams/s" : "req/s";
      if (!p.latency()) {
        var r = new ArrayList<String>(List.of(p.title() + " " + unit, rate(base.perSecond())));
        for (Metered m : metered) {
          Result x = m.results().get(i);
          r.add(rate(x.perSecond()));
          r.add(
              base.perSecond() > 0
                  ? String.format(Locale.ROOT, "%.2fx", x.perSecond() / base.perSecond())
                  : "-");
        }
        rows.add(r);
      }
      var lat = new ArrayList<String>(List.of(p.title() + " p50 / p99", pair(base)));
      for (Metered m : metered) {
        Result x = m.results().get(i);
        lat.add(pair(x));
        lat.add(added(x.latency().p50() - base.latency().p50()) + " p50");
      }
      rows.add(lat);
    }
    GatewayReport.table(out, rows);
    for (Metered m : metered) {
      out.printf(
          Locale.ROOT,
          "  ledger (%s): %,d records for %,d requests completed in the measured windows (warm-ups"
              + " add more): %s; %d errors%n",
          m.store(),
          m.recorded(),
          m.completed(),
          m.ledgerComplete() ? "every request metered" : "MISSING RECORDS",
          m.errors());
      for (Result r : m.results()) {
        if (r.firstError() != null) {
          out.println("  first error (" + m.store() + "): " + r.firstError());
          break;
        }
      }
    }
  }

  ArrayNode json() {
    ArrayNode all = Json.MAPPER.createArrayNode();
    for (Metered m : metered) {
      var o = all.addObject();
      o.put("store", m.store());
      o.put("ledger_records", m.recorded());
      o.put("ledger_complete", m.ledgerComplete());
      var ps = o.putArray("phases");
      for (int i = 0; i < phases.size(); i++) {
        Result base = plain.get(i);
        Result x = m.results().get(i);
        var p = ps.addObject();
        p.put("name", phases.get(i).key());
        p.put("completed", x.completed());
        p.put("errors", x.errors());
        p.put("per_second", GatewayReport.round(x.perSecond()));
        p.put("p50_ms", GatewayReport.round(x.latency().p50() / 1e6));
        p.put("p99_ms", GatewayReport.round(x.latency().p99() / 1e6));
        p.put("no_accounts_per_second", GatewayReport.round(base.perSecond()));
        if (base.perSecond() > 0) {
          p.put("ratio", GatewayReport.round(x.perSecond() / base.perSecond()));
        }
      }
    }
    return all;
  }

  private static String rate(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String pair(Result r) {
    return Double.isNaN(r.latency().p50())
        ? "-"
        : String.format(
            Locale.ROOT, "%.2f / %.2f ms", r.latency().p50() / 1e6, r.latency().p99() / 1e6);
  }

  private static String added(double nanos) {
    return Double.isNaN(nanos) ? "-" : String.format(Locale.ROOT, "%+.3f ms", nanos / 1e6);
  }
}

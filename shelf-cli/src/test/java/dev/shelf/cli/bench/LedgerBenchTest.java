package dev.shelf.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The ledger benchmark and the gateway benchmark's accounts mode, run for a fraction of a second:
 * they measure something (numbers above zero), the ledger check passes, every metered request left
 * a record. Behaviour, not speed: the figures themselves are for {@code shelf bench}.
 */
class LedgerBenchTest {
  @Test
  void ledgerBenchMeasuresBothDatabasesAndItsCheckPasses() throws Exception {
    var text = new StringWriter();
    int status =
        new CommandLine(new LedgerBench())
            .setOut(new PrintWriter(text))
            .execute(
                "--db=both",
                "--seconds=0.5",
                "--warmup=0.1",
                "--baseline-seconds=0.2",
                "--writers=16",
                "--json");
    String out = text.toString();
    assertThat(status).as(out).isZero();
    assertThat(out).contains("SQLite", "PostgreSQL", "records per commit", "consistent");
    JsonNode json = Json.MAPPER.readTree(out.substring(out.indexOf("\n{") + 1));
    assertThat(json.path("databases")).hasSize(2);
    for (JsonNode db : json.path("databases")) {
      assertThat(db.path("records_per_second").asDouble()).as(db.toString()).isPositive();
      assertThat(db.path("baseline_records_per_second").asDouble()).as(db.toString()).isPositive();
      assertThat(db.path("batch").path("max").asDouble()).isBetween(1.0, 16.0);
      assertThat(db.path("wait_ms").path("p50").asDouble()).isPositive();
      assertThat(db.path("consistent").asBoolean()).isTrue();
    }
  }

  @Test
  void gatewayBenchWithAccountsMetersEveryRequest() throws Exception {
    var text = new StringWriter();
    int status =
        new CommandLine(new GatewayBench())
            .setOut(new PrintWriter(text))
            .execute(
                "--duration=300ms",
                "--warmup=100ms",
                "--concurrency=4",
                "--stream-concurrency=4",
                "--accounts=sqlite",
                "--no-progress",
                "--json");
    String out = text.toString();
    assertThat(status).as(out).isZero();
    assertThat(out).contains("accounts: sqlite", "every request metered");
    JsonNode json = Json.MAPPER.readTree(out.substring(out.indexOf("\n{") + 1));
    JsonNode sqlite = json.path("accounts").path(0);
    assertThat(sqlite.path("store").asText()).isEqualTo("sqlite");
    assertThat(sqlite.path("ledger_complete").asBoolean()).isTrue();
    assertThat(sqlite.path("ledger_records").asLong()).isPositive();
    assertThat(sqlite.path("phases")).hasSize(4);
    for (JsonNode p : sqlite.path("phases")) {
      assertThat(p.path("completed").asLong()).as(p.toString()).isPositive();
      assertThat(p.path("errors").asLong()).as(p.toString()).isZero();
      assertThat(p.path("per_second").asDouble()).as(p.toString()).isPositive();
    }
  }
}

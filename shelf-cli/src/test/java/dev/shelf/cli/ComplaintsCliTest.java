package dev.shelf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.server.ShelfServer;
import dev.shelf.store.Stores;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code shelf complaints list|show|resolve} against a real server's admin API. */
class ComplaintsCliTest {
  private static final String MASTER = "sk-shelf-master-key-cli-0123456789";

  @TempDir Path dir;

  @Test
  void listShowAndResolveAComplaint() throws Exception {
    var config =
        new ConfigLoader(Map.of())
            .parse(
                "test.yaml",
                "server: {port: 0, access_log: false}\nauth: {master_key: " + MASTER + "}\n");
    Accounts accounts = Stores.open(config.storage(), dir);
    var runtime = ShelfRuntime.of(config);
    ShelfServer server = ShelfServer.start(runtime, accounts, null);
    try {
      // a request the master key's team was served, as the ledger has it
      accounts
          .ledger()
          .append(
              List.of(
                  new UsageRecord(
                      "req-cli-1",
                      System.currentTimeMillis(),
                      "master",
                      Principal.DEFAULT_TEAM,
                      "chat",
                      "m",
                      null,
                      1,
                      1,
                      0,
                      0,
                      false,
                      1,
                      1,
                      200,
                      null)));
      String url = "http://127.0.0.1:" + server.port();
      HttpResponse<String> made;
      try (HttpClient http = HttpClient.newHttpClient()) {
        made =
            http.send(
                HttpRequest.newBuilder(URI.create(url + "/v1/complaints"))
                    .header("authorization", "Bearer " + MASTER)
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"request_id\": \"req-cli-1\", \"reason\": \"inaccurate\","
                                + " \"detail\": \"wrong date\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      }
      assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
      String id = made.body().replaceAll("(?s).*\"id\":\"(cmp_[A-Za-z0-9]+)\".*", "$1");

      CliRun list = CliRun.run("complaints", "list", "--url", url, "--key", MASTER);
      assertThat(list.exit()).as(list.err()).isZero();
      assertThat(list.out()).contains(id, "open", "inaccurate", "req-cli-1");

      CliRun show = CliRun.run("complaints", "show", id, "--url", url + "/v1", "--key", MASTER);
      assertThat(show.exit()).as(show.err()).isZero();
      assertThat(show.out()).contains("wrong date", "req-cli-1");

      CliRun resolve =
          CliRun.run(
              "complaints",
              "resolve",
              id,
              "--status",
              "dismissed",
              "--note",
              "the date was right",
              "--url",
              url,
              "--key",
              MASTER);
      assertThat(resolve.exit()).as(resolve.err()).isZero();
      assertThat(resolve.out()).contains("is now dismissed");
      assertThat(CliRun.run("complaints", "list", "--url", url, "--key", MASTER).out())
          .doesNotContain(id);
      assertThat(
              CliRun.run("complaints", "list", "--status", "all", "--url", url, "--key", MASTER)
                  .out())
          .contains(id, "dismissed");

      CliRun again =
          CliRun.run(
              "complaints", "resolve", id, "--status", "open", "--url", url, "--key", MASTER);
      assertThat(again.exit()).isEqualTo(1);
      assertThat(again.err()).contains("409", "final decision");
      CliRun wrongKey =
          CliRun.run("complaints", "list", "--url", url, "--key", "sk-wrong-key-0000000");
      assertThat(wrongKey.exit()).isEqualTo(1);
      assertThat(wrongKey.err()).contains("401");
    } finally {
      server.stop();
      runtime.close();
      accounts.close();
    }
  }
}

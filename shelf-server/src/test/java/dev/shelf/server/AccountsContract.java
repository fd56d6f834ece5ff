package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Keys, teams, limits, budgets and the ledger through the real server and the admin API. One body,
 * run on SQLite with in-process counters ({@link SqliteAccountsTest}) and on PostgreSQL with Redis
 * ({@link PostgresRedisAccountsTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AccountsContract {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final String YAML =
      """
      server: {port: 0, shutdown_grace: 1s, access_log: false}
      auth: {master_key: %s}
      resilience: {max_attempts: 1, breaker_failures: 1000, cooldown: 1ms}
      providers:
        up: {type: openai, base_url: %s, api_key: sk-upstream-0123456789}
      models:
        - {id: billed, provider: up, upstream: up-billed, context: 8192, \
      price: {input: 0.01, output: 4.0, currency: USD}}
        - {id: other, provider: up, upstream: up-other, price: {input: 1, output: 1, currency: USD}}
      """;

  /** What one answer costs: 10 prompt tokens at 0.01/M plus 5 completion tokens at 4/M. */
  static final long UNIT_NANOS = 20_100;

  StubUpstream stub;
  ShelfHarness shelf;

  abstract ShelfHarness start(String yaml);

  @BeforeAll
  void up() {
    stub = StubUpstream.start();
    stub.handler(
        r ->
            ChatStream.of("up-billed")
                .role()
                .content("hello")
                .finish("stop")
                .usage(10, 5)
                .done()
                .response());
    shelf = start(YAML.formatted(MASTER, stub.baseUrl()));
  }

  @AfterAll
  void down() {
    shelf.close();
    stub.close();
  }

  // ---- helpers ----

  JsonNode admin(String method, String path, String body, String key) {
    var r =
        switch (method) {
          case "GET" -> shelf.get(path, "authorization", "Bearer " + key);
          case "PATCH" -> shelf.patch(path, body, "authorization", "Bearer " + key);
          case "DELETE" -> shelf.delete(path, "authorization", "Bearer " + key);
          default -> shelf.post(path, body, "authorization", "Bearer " + key);
        };
    assertThat(r.status()).as(method + " " + path + ": " + r.body()).isBetween(200, 201);
    return r.json();
  }

  String team(String name, String extra) {
    return admin(
            "POST",
            "/admin/v1/teams",
            "{\"name\": \"%s-%d\"%s}".formatted(name, System.nanoTime(), extra),
            MASTER)
        .get("id")
        .asText();
  }

  JsonNode key(String team, String extra) {
    return admin(
        "POST", "/admin/v1/keys", "{\"team_id\": \"%s\"%s}".formatted(team, extra), MASTER);
  }

  ShelfHarness.Raw chat(String key, boolean stream) {
    return shelf.post(
        "/v1/chat/completions",
        "{\"model\": \"billed\", \"max_tokens\": 5, \"stream\": %s, \"messages\": [{\"role\":"
                .formatted(stream)
            + " \"user\", \"content\": \"hi\"}]}",
        "authorization",
        "Bearer " + key);
  }

  List<UsageRecord> records(String team) {
    return shelf.accounts().ledger().records(team, 0, Long.MAX_VALUE, 10_000);
  }

  // ---- tests ----

  @Test
  void aKeyMadeThroughTheAdminApiWorksAndIsBilledExactly() {
    String team = team("search", "");
    JsonNode k = key(team, ", \"name\": \"ci\"");
    String secret = k.get("key").asText();
    assertThat(secret).startsWith("sk-shelf-");
    assertThat(k.get("prefix").asText()).isEqualTo(secret.substring(0, 12));

    var answer =
        shelf
            .sdk(secret)
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model("billed")
                    .addUserMessage("hi")
                    .maxCompletionTokens(5)
                    .build());
    assertThat(answer.choices().get(0).message().content()).contains("hello");
    assertThat(chat(secret, true).status()).isEqualTo(200);

    List<UsageRecord> rs = records(team);
    assertThat(rs).hasSize(2);
    for (UsageRecord r : rs) {
      assertThat(r.keyId()).isEqualTo(k.get("id").asText());
      assertThat(r.model()).isEqualTo("billed");
      assertThat(r.deployment()).isEqualTo("up/up-billed");
      assertThat(r.promptTokens()).isEqualTo(10);
      assertThat(r.completionTokens()).isEqualTo(5);
      assertThat(r.costNanos()).isEqualTo(UNIT_NANOS);
      assertThat(r.estimated()).isFalse();
      assertThat(r.status()).isEqualTo(200);
    }

    JsonNode report = admin("GET", "/admin/v1/usage?group_by=key&team_id=" + team, "", MASTER);
    assertThat(report.get("data")).hasSize(1);
    assertThat(report.get("data").get(0).get("requests").asLong()).isEqualTo(2);
    assertThat(report.get("data").get(0).get("cost").asText()).isEqualTo("0.0000402");
    var csv =
        shelf.get(
            "/admin/v1/usage?group_by=model&format=csv&team_id=" + team,
            "authorization",
            "Bearer " + MASTER);
    assertThat(csv.header("content-type")).startsWith("text/csv");
    assertThat(csv.body())
        .isEqualTo(
            "model,requests,errors,prompt_tokens,completion_tokens,cached_tokens,cost,currency\r\n"
                + "billed,2,0,20,10,0,0.0000402,USD\r\n");
  }

  @Test
  void aRevokedKeyIsRefusedAtOnce() {
    String team = team("revoke", "");
    JsonNode k = key(team, "");
    String secret = k.get("key").asText();
    assertThat(chat(secret, false).status()).isEqualTo(200);
    admin("POST", "/admin/v1/keys/" + k.get("id").asText() + "/revoke", "{}", MASTER);
    var refused = chat(secret, false);
    assertThat(refused.status()).isEqualTo(401);
    assertThat(refused.json().at("/error/code").asText()).isEqualTo("invalid_api_key");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> shelf.sdk(secret).models().list())
        .isInstanceOf(UnauthorizedException.class);
  }

  @Test
  void requestsPerMinuteAreLimitedWithRetryAfter() {
    String team = team("rpm", "");
    String secret = key(team, ", \"rpm\": 3").get("key").asText();
    for (int i = 0; i < 3; i++) {
      assertThat(chat(secret, false).status()).isEqualTo(200);
    }
    var limited = chat(secret, false);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.json().at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
    assertThat(Long.parseLong(limited.header("retry-after"))).isBetween(1L, 70L);
  }

  @Test
  void aTeamLimitBindsAllItsKeys() {
    String team = team("team-rpm", ", \"rpm\": 2");
    String a = key(team, "").get("key").asText();
    String b = key(team, "").get("key").asText();
    assertThat(chat(a, false).status()).isEqualTo(200);
    assertThat(chat(b, false).status()).isEqualTo(200);
    assertThat(chat(a, false).status()).isEqualTo(429);
    assertThat(chat(b, false).status()).isEqualTo(429);
  }

  @Test
  void twoHundredConcurrentRequestsNeverSpendPastTheBudgetByMoreThanOne() throws Exception {
    int n = 5;
    String team = team("budget", "");
    String budget = Money(n * UNIT_NANOS);
    String secret =
        key(team, ", \"budget\": {\"amount\": \"%s\", \"period\": \"day\"}".formatted(budget))
            .get("key")
            .asText();
    var start = new CountDownLatch(1);
    var statuses = new ArrayList<CompletableFuture<Integer>>();
    try (var pool = Executors.newFixedThreadPool(32)) {
      for (int i = 0; i < 200; i++) {
        statuses.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  var r = chat(secret, false);
                  if (r.status() == 429) {
                    assertThat(r.json().at("/error/code").asText()).isEqualTo("insufficient_quota");
                  }
                  return r.status();
                },
                pool));
      }
      start.countDown();
      CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).get();
    }
    long served = statuses.stream().filter(f -> f.join() == 200).count();
    long refused = statuses.stream().filter(f -> f.join() == 429).count();
    assertThat(served + refused).isEqualTo(200);
    assertThat(served).isBetween(1L, n + 1L);
    assertThat(shelf.accounts().ledger().spent(Ledger.Scope.TEAM, team, 0, Long.MAX_VALUE))
        .isEqualTo(served * UNIT_NANOS);
    // reservations may refuse some of a burst early; one at a time, the rest of the budget serves
    long total = served;
    for (int i = 0; i < 2 * n && chat(secret, false).status() == 200; i++) {
      total++;
    }
    assertThat(total).isBetween((long) n, n + 1L);
    assertThat(shelf.accounts().ledger().spent(Ledger.Scope.TEAM, team, 0, Long.MAX_VALUE))
        .isEqualTo(total * UNIT_NANOS);
    assertThat(chat(secret, false).status()).isEqualTo(429);
  }

  @Test
  void aPrepaidTeamStopsAtZeroAndARedeemedCodeTopsItUp() {
    String team = team("prepaid", ", \"prepaid\": true");
    String secret = key(team, "").get("key").asText();
    var empty = chat(secret, false);
    assertThat(empty.status()).isEqualTo(429);
    assertThat(empty.json().at("/error/code").asText()).isEqualTo("insufficient_quota");

    admin(
        "POST",
        "/admin/v1/teams/" + team + "/credits",
        "{\"amount\": \"%s\"}".formatted(Money(UNIT_NANOS)),
        MASTER);
    assertThat(chat(secret, false).status()).isEqualTo(200);
    assertThat(chat(secret, false).status()).isEqualTo(429);
    JsonNode spentOut = admin("GET", "/admin/v1/teams/" + team, "", MASTER);
    assertThat(spentOut.get("credit").asText()).isEqualTo(Money(UNIT_NANOS));
    assertThat(spentOut.get("balance").asText()).isEqualTo("0");

    JsonNode codes =
        admin("POST", "/admin/v1/redemption-codes", "{\"amount\": \"1\", \"count\": 1}", MASTER);
    String code = codes.get("codes").get(0).asText();
    String admin = key(team, ", \"admin\": true").get("key").asText();
    JsonNode redeemed = admin("POST", "/admin/v1/redeem", "{\"code\": \"" + code + "\"}", admin);
    assertThat(redeemed.get("redeemed").asText()).isEqualTo("1");
    var again =
        shelf.post(
            "/admin/v1/redeem", "{\"code\": \"" + code + "\"}", "authorization", "Bearer " + admin);
    assertThat(again.status()).isEqualTo(404);
    assertThat(chat(secret, false).status()).isEqualTo(200);
  }

  @Test
  void oneTeamCannotReadAnothersData() {
    String a = team("iso-a", "");
    String b = team("iso-b", "");
    String adminA = key(a, ", \"admin\": true").get("key").asText();
    String plainA = key(a, "").get("key").asText();
    JsonNode keyB = key(b, "");
    chat(keyB.get("key").asText(), false);
    String kb = keyB.get("id").asText();
    var reads =
        List.of(
            "/admin/v1/teams/" + b,
            "/admin/v1/teams/" + b + "/users",
            "/admin/v1/keys/" + kb,
            "/admin/v1/keys?team_id=" + b,
            "/admin/v1/usage?team_id=" + b);
    for (String path : reads) {
      var r = shelf.get(path, "authorization", "Bearer " + adminA);
      assertThat(r.status()).as(path).isIn(403, 404);
      assertThat(r.json().has("error")).as(path).isTrue();
      assertThat(r.body()).as(path).doesNotContain("\"prefix\"").doesNotContain("\"requests\"");
    }
    for (String path : reads) {
      assertThat(shelf.get(path, "authorization", "Bearer " + plainA).status())
          .as(path)
          .isIn(403, 404);
    }
    assertThat(
            shelf
                .patch("/admin/v1/keys/" + kb, "{\"rpm\": 1}", "authorization", "Bearer " + adminA)
                .status())
        .isEqualTo(404);
    assertThat(
            shelf
                .post("/admin/v1/keys/" + kb + "/revoke", "{}", "authorization", "Bearer " + adminA)
                .status())
        .isEqualTo(404);
    JsonNode teams = admin("GET", "/admin/v1/teams", "", adminA);
    assertThat(teams.get("data")).hasSize(1);
    assertThat(teams.get("data").get(0).get("id").asText()).isEqualTo(a);
    JsonNode usage = admin("GET", "/admin/v1/usage?group_by=team", "", adminA);
    for (JsonNode row : usage.get("data")) {
      assertThat(row.get("group").asText()).isEqualTo(a);
    }
    assertThat(
            shelf
                .post("/admin/v1/teams", "{\"name\": \"x\"}", "authorization", "Bearer " + adminA)
                .status())
        .isEqualTo(403);
  }

  @Test
  void failedRequestsAreRecordedWithTheirStatus() {
    String team = team("errors", "");
    String secret = key(team, ", \"models\": [\"billed\"]").get("key").asText();
    var forbidden =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"other\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
            "authorization",
            "Bearer " + secret);
    assertThat(forbidden.status()).isEqualTo(403);
    var missing =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"billed\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}",
            "authorization",
            "Bearer " + secret);
    assertThat(missing.status()).isEqualTo(400);
    stub.enqueue(StubUpstream.Response.json(500, "{\"error\": {\"message\": \"boom\"}}"));
    assertThat(chat(secret, false).status()).isGreaterThanOrEqualTo(500);
    // error records are written without holding the response: wait for them
    List<UsageRecord> rs = records(team);
    for (int i = 0; i < 100 && rs.size() < 3; i++) {
      sleep(50);
      rs = records(team);
    }
    assertThat(rs).extracting(UsageRecord::status).containsExactlyInAnyOrder(403, 400, 502);
    assertThat(rs).extracting(UsageRecord::model).contains("other", "billed");
    assertThat(rs).allSatisfy(r -> assertThat(r.costNanos()).isZero());
  }

  @Test
  void aRequestServedUnderAReusedRequestIdIsStillBilled() {
    String team = team("reused-id", "");
    String secret = key(team, ", \"models\": [\"billed\"]").get("key").asText();
    String id = "retry-" + System.nanoTime();
    var forbidden =
        shelf.post(
            "/v1/chat/completions",
            "{\"model\": \"other\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
            "authorization",
            "Bearer " + secret,
            "x-request-id",
            id);
    assertThat(forbidden.status()).isEqualTo(403);
    for (int i = 0; i < 100 && records(team).isEmpty(); i++) {
      sleep(20); // error records are written without holding the response
    }
    for (boolean stream : new boolean[] {false, true}) {
      var served =
          shelf.post(
              "/v1/chat/completions",
              "{\"model\": \"billed\", \"max_tokens\": 5, \"stream\": %s, \"messages\":"
                      .formatted(stream)
                  + " [{\"role\": \"user\", \"content\": \"hi\"}]}",
              "authorization",
              "Bearer " + secret,
              "x-request-id",
              id);
      assertThat(served.status()).isEqualTo(200);
      assertThat(served.header("x-request-id")).isEqualTo(id);
    }
    List<UsageRecord> rs = records(team);
    assertThat(rs).extracting(UsageRecord::status).containsExactlyInAnyOrder(403, 200, 200);
    assertThat(shelf.accounts().ledger().spent(Ledger.Scope.TEAM, team, 0, Long.MAX_VALUE))
        .isEqualTo(2 * UNIT_NANOS);
  }

  @Test
  void everyAdminChangeIsAudited() {
    String team = team("audited", "");
    JsonNode k = key(team, "");
    admin("PATCH", "/admin/v1/keys/" + k.get("id").asText(), "{\"rpm\": 9}", MASTER);
    JsonNode audit = admin("GET", "/admin/v1/audit?team_id=" + team, "", MASTER);
    var actions = new ArrayList<String>();
    audit.get("data").forEach(e -> actions.add(e.get("action").asText()));
    assertThat(actions).containsExactly("key.update", "key.create", "team.create");
    assertThat(audit.toString()).doesNotContain(k.get("key").asText());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static String Money(long nanos) {
    return dev.shelf.gateway.metering.Money.decimal(nanos).toPlainString();
  }
}

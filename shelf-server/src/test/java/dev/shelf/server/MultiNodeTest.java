package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.testing.ShelfNode;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiLedger;
import dev.shelf.store.testing.TestServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two real Shelf processes sharing one PostgreSQL database and Redis, in front of one stub upstream
 * in this JVM: limits, budgets and key changes hold across nodes, not just within one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiNodeTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";

  /** What one answer costs: 10 prompt tokens at 0.01/M plus 5 completion tokens at 4/M. */
  static final long UNIT_NANOS = 20_100;

  static final String YAML =
      """
      server: {port: 0, shutdown_grace: 1s, access_log: false}
      auth: {master_key: %s}
      resilience: {max_attempts: 1, breaker_failures: 1000, cooldown: 1ms}
      database:
        url: %s
        user: postgres
        pool: 4
      redis:
        url: %s
      providers:
        up: {type: openai, base_url: %s, api_key: sk-upstream-0123456789}
      models:
        - {id: billed, provider: up, upstream: up-billed, context: 8192, \
      price: {input: 0.01, output: 4.0, currency: USD}}
      """;

  StubUpstream stub;
  String pgUrl;
  Database db;
  Ledger ledger;
  Path dir;
  ShelfNode a;
  ShelfNode b;

  @BeforeAll
  void up() throws IOException {
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
    pgUrl = TestServices.newPostgresUrl();
    db = Database.postgres(pgUrl, "postgres", null, 4); // migrated here, before the nodes race
    ledger = new JdbiLedger(db);
    dir = Files.createTempDirectory("shelf-multinode");
    Path yaml = dir.resolve("shelf.yaml");
    Files.writeString(yaml, YAML.formatted(MASTER, pgUrl, TestServices.redisUrl(), stub.baseUrl()));
    List<ShelfNode> nodes = ShelfNode.startAll(yaml, dir, "a", "b");
    a = nodes.get(0);
    b = nodes.get(1);
  }

  @AfterAll
  void down() {
    try {
      for (ShelfNode n : new ShelfNode[] {a, b}) {
        if (n != null) {
          n.close();
        }
      }
    } finally {
      if (db != null) {
        db.close();
      }
      if (pgUrl != null) {
        TestServices.dropPostgres(pgUrl);
      }
      if (stub != null) {
        stub.close();
      }
      ShelfNode.deleteTree(dir);
    }
  }

  // ---- helpers ----

  String team(ShelfNode node, String name) {
    return node.admin(
            "POST",
            "/admin/v1/teams",
            "{\"name\": \"%s-%d\"}".formatted(name, System.nanoTime()),
            MASTER)
        .get("id")
        .asText();
  }

  JsonNode key(ShelfNode node, String team, String extra) {
    return node.admin(
        "POST", "/admin/v1/keys", "{\"team_id\": \"%s\"%s}".formatted(team, extra), MASTER);
  }

  static ShelfNode.Answer chat(ShelfNode node, String key) {
    return node.post(
        "/v1/chat/completions",
        "{\"model\": \"billed\", \"max_tokens\": 5, \"messages\": [{\"role\": \"user\","
            + " \"content\": \"hi\"}]}",
        "authorization",
        "Bearer " + key);
  }

  /** Runs {@code n} calls on {@code threads} threads, released together; their answers in order. */
  static List<ShelfNode.Answer> concurrently(int n, int threads, IntFunction<ShelfNode.Answer> call)
      throws Exception {
    var start = new CountDownLatch(1);
    var answers = new ArrayList<CompletableFuture<ShelfNode.Answer>>();
    try (var pool = Executors.newFixedThreadPool(threads)) {
      for (int i = 0; i < n; i++) {
        int index = i;
        answers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return call.apply(index);
                },
                pool));
      }
      start.countDown();
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get();
    }
    return answers.stream().map(CompletableFuture::join).toList();
  }

  List<UsageRecord> served(String team) {
    return ledger.records(team, 0, Long.MAX_VALUE, 100_000).stream()
        .filter(r -> r.status() == 200)
        .toList();
  }

  // ---- tests ----

  @Test
  void requestsPerMinuteHoldAcrossBothNodes() throws Exception {
    int n = 6;
    String team = team(a, "rpm");
    String secret = key(a, team, ", \"rpm\": " + n).get("key").asText();
    // 4n requests at once, alternating between the nodes: counters kept per node would let each
    // node serve n, 2n in all
    List<ShelfNode.Answer> answers = concurrently(4 * n, 8, i -> chat(i % 2 == 0 ? a : b, secret));
    long ok = answers.stream().filter(r -> r.status() == 200).count();
    assertThat(ok).isBetween((long) n, n + 1L);
    for (ShelfNode.Answer r : answers) {
      if (r.status() != 200) {
        assertThat(r.status()).as(r.body()).isEqualTo(429);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(Long.parseLong(r.header("retry-after"))).isBetween(1L, 70L);
      }
    }
    // one at a time, both nodes now refuse
    assertThat(chat(a, secret).status()).isEqualTo(429);
    assertThat(chat(b, secret).status()).isEqualTo(429);
    assertThat(served(team)).hasSize((int) ok);
  }

  /** A change's reach: the cache TTL on the other node, plus the clock's millisecond. */
  static final long TTL_NANOS = 1_000_000_000L + 50_000_000L;

  @Test
  void aKeyCreatedOnOneNodeWorksOnTheOtherAndItsRevocationReachesItWithinASecond() {
    String team = team(a, "propagation");
    JsonNode k = key(a, team, "");
    String secret = k.get("key").asText();

    Poll created = pollUntil(() -> chat(b, secret).status() == 200, System.nanoTime());
    assertThat(created.lastOld()).isLessThan(TTL_NANOS);
    assertThat(chat(b, secret).status()).isEqualTo(200); // and B now holds it in its cache
    assertThat(chat(a, secret).status()).isEqualTo(200);

    a.admin("POST", "/admin/v1/keys/" + k.get("id").asText() + "/revoke", "{}", MASTER);
    long revoked = System.nanoTime();
    assertThat(chat(a, secret).status()).as("the node that revoked it").isEqualTo(401);
    Poll refused = pollUntil(() -> chat(b, secret).status() == 401, revoked);
    ShelfNode.Answer r = chat(b, secret);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().at("/error/code").asText()).isEqualTo("invalid_api_key");
    System.err.printf(
        "MultiNodeTest: key created on A served by B after %d ms; revoked on A refused by B after"
            + " %d ms (last served %d ms after)%n",
        created.firstNew() / 1_000_000,
        refused.firstNew() / 1_000_000,
        refused.lastOld() / 1_000_000);
    // B loaded the key before the revocation and keeps it for the cache TTL (1 s), no longer: no
    // request that reached B later than that was served
    assertThat(refused.lastOld()).isLessThan(TTL_NANOS);
  }

  @Test
  void aLimitSetOnOneNodeBindsTheOtherWithinASecond() {
    String team = team(b, "relimit");
    JsonNode k = key(b, team, "");
    String secret = k.get("key").asText();
    assertThat(chat(b, secret).status()).isEqualTo(200); // B holds the key, unlimited, in its cache

    a.admin("PATCH", "/admin/v1/keys/" + k.get("id").asText(), "{\"rpm\": 1}", MASTER);
    long changed = System.nanoTime();
    assertThat(chat(a, secret).status()).isEqualTo(200);
    assertThat(chat(a, secret).status()).as("the node that changed it").isEqualTo(429);
    // B counts from when it sees the limit, in the window A already filled
    Poll bound = pollUntil(() -> chat(b, secret).status() == 429, changed);
    System.err.printf(
        "MultiNodeTest: rpm set on A bound B after %d ms (last served %d ms after)%n",
        bound.firstNew() / 1_000_000, bound.lastOld() / 1_000_000);
    assertThat(bound.lastOld()).isLessThan(TTL_NANOS);
  }

  /**
   * When a change showed, in nanoseconds after it was made: {@code firstNew}, the start of the
   * first request that saw it; {@code lastOld}, the start of the last request that did not (-1 if
   * none). Measuring from request starts keeps slow answers out of the delay.
   */
  record Poll(long firstNew, long lastOld) {}

  /** Polls {@code check} every 20 ms until it holds; fails if it still fails after 1.5 s. */
  static Poll pollUntil(java.util.function.BooleanSupplier check, long since) {
    long lastOld = -1;
    while (true) {
      long asked = System.nanoTime();
      if (check.getAsBoolean()) {
        return new Poll(asked - since, lastOld);
      }
      lastOld = asked - since;
      if (lastOld > 1_500_000_000L) {
        throw new AssertionError("still not seen 1.5 s after the change");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void aBudgetSharedByBothNodesIsNeverSpentPastByMoreThanOneRequest() throws Exception {
    int n = 5;
    String team = team(b, "budget");
    String budget = Money.decimal(n * UNIT_NANOS).toPlainString();
    String secret =
        key(b, team, ", \"budget\": {\"amount\": \"%s\", \"period\": \"day\"}".formatted(budget))
            .get("key")
            .asText();
    List<ShelfNode.Answer> answers = concurrently(200, 32, i -> chat(i % 2 == 0 ? a : b, secret));
    long ok = 0;
    for (ShelfNode.Answer r : answers) {
      if (r.status() == 200) {
        ok++;
      } else {
        assertThat(r.status()).as(r.body()).isEqualTo(429);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("insufficient_quota");
      }
    }
    assertThat(ok).isBetween(1L, n + 1L);
    assertThat(ledger.spent(Ledger.Scope.TEAM, team, 0, Long.MAX_VALUE)).isEqualTo(ok * UNIT_NANOS);
    assertThat(served(team)).hasSize((int) ok);
    assertThat(served(team).stream().mapToLong(UsageRecord::costNanos).sum())
        .isEqualTo(ok * UNIT_NANOS);

    // a burst's reservations may refuse some early; one at a time, the rest of the budget serves
    long total = ok;
    for (int i = 0; i < 2 * n && chat(i % 2 == 0 ? a : b, secret).status() == 200; i++) {
      total++;
    }
    assertThat(total).isBetween((long) n, n + 1L);
    assertThat(ledger.spent(Ledger.Scope.TEAM, team, 0, Long.MAX_VALUE))
        .isEqualTo(total * UNIT_NANOS);
    assertThat(served(team)).hasSize((int) total);
    assertThat(chat(a, secret).status()).isEqualTo(429);
    assertThat(chat(b, secret).status()).isEqualTo(429);
  }
}

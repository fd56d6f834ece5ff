package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.server.testing.ShelfNode;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiLedger;
import dev.shelf.store.testing.TestServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A node killed with SIGKILL in the middle of load loses no request its client saw complete, and
 * bills none twice; a new node on the same database serves on and finds the ledger consistent.
 *
 * <p>Many client threads send streaming and non-streaming chat requests, each with its own {@code
 * x-request-id}, and note which completed (the whole 200 JSON body; the final {@code data:
 * [DONE]}). The usage record is committed before those last bytes leave, so every completed id must
 * be in the ledger. Ids the ledger holds beyond those were in flight at the kill: committed, their
 * answer lost with the process, which is allowed, and bounded by the number in flight.
 */
class CrashTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final long UNIT_NANOS = 20_100;
  static final int CLIENTS = 16;

  static final String YAML =
      """
      server: {port: 0, shutdown_grace: 2s, access_log: false}
      auth: {master_key: %s}
      resilience: {max_attempts: 1, breaker_failures: 1000, cooldown: 1ms}
      %s
      providers:
        up: {type: openai, base_url: %s, api_key: sk-upstream-0123456789}
      models:
        - {id: billed, provider: up, upstream: up-billed, context: 8192, \
      price: {input: 0.01, output: 4.0, currency: USD}}
      """;

  /** Where the node keeps its ledger. */
  enum Store {
    SQLITE,
    POSTGRES
  }

  @ParameterizedTest
  @EnumSource(Store.class)
  void aNodeKilledMidLoadLosesNoCompletedRequestAndBillsNoneTwice(Store store) throws Exception {
    long seed = System.nanoTime();
    var random = new Random(seed);
    Path dir = Files.createTempDirectory("shelf-crash");
    String pgUrl = store == Store.POSTGRES ? TestServices.newPostgresUrl() : null;
    String database =
        pgUrl == null ? "" : "database: {url: \"%s\", user: postgres, pool: 4}".formatted(pgUrl);
    Path yaml = dir.resolve("shelf.yaml");
    var stub = StubUpstream.start();
    // paced, so that requests are mid-stream when the kill comes
    stub.handler(
        r ->
            ChatStream.of("up-billed")
                .role()
                .content("hello")
                .finish("stop")
                .usage(10, 5)
                .done()
                .response()
                .paced(2));
    ShelfNode node = null;
    try {
      Files.writeString(yaml, YAML.formatted(MASTER, database, stub.baseUrl()));
      node = ShelfNode.launch("first", yaml, dir.resolve("data"));
      node.awaitReady();
      String team =
          node.admin("POST", "/admin/v1/teams", "{\"name\": \"crash\"}", MASTER).get("id").asText();
      String key =
          node.admin("POST", "/admin/v1/keys", "{\"team_id\": \"" + team + "\"}", MASTER)
              .get("key")
              .asText();

      // ---- load, then SIGKILL at a random moment ----
      var load = new Load(node, key, store.name().toLowerCase(java.util.Locale.ROOT));
      load.start();
      long warm = System.nanoTime() + 20_000_000_000L;
      while (load.completed.size() < 150 && System.nanoTime() < warm && load.failures.isEmpty()) {
        Thread.sleep(10);
      }
      assertThat(load.failures).as("answers before the kill").isEmpty();
      assertThat(load.completed.size()).as("requests completed before the kill").isGreaterThan(50);
      Thread.sleep(random.nextInt(1_000));
      node.kill();
      load.stopAndJoin();
      assertThat(load.failures).as("answers before the kill (seed %d)", seed).isEmpty();

      Set<String> completed = Set.copyOf(load.completed.keySet());
      Set<String> inFlight = new HashSet<>(load.started);
      inFlight.removeAll(completed);
      assertThat(inFlight.size()).isLessThanOrEqualTo(CLIENTS);

      List<UsageRecord> records;
      try (Database db = open(store, dir, pgUrl)) {
        records = new JdbiLedger(db).records(team, 0, Long.MAX_VALUE, 1_000_000);
        assertRollupsMatchRecords(db);
      }
      Map<String, UsageRecord> byId = new HashMap<>();
      for (UsageRecord r : records) {
        assertThat(byId.put(r.requestId(), r)).as("twice in the ledger: " + r).isNull();
      }
      Set<String> missing = new HashSet<>(completed);
      missing.removeAll(byId.keySet());
      assertThat(missing).as("completed at the client but not in the ledger").isEmpty();
      Set<String> extra = new HashSet<>(byId.keySet());
      extra.removeAll(completed);
      assertThat(inFlight)
          .as("billed without completing, so in flight at the kill")
          .containsAll(extra);
      for (String id : completed) {
        UsageRecord r = java.util.Objects.requireNonNull(byId.get(id));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.promptTokens()).isEqualTo(10);
        assertThat(r.completionTokens()).isEqualTo(5);
        assertThat(r.costNanos()).isEqualTo(UNIT_NANOS);
        assertThat(r.endpoint()).isEqualTo("chat");
      }
      long streamed =
          completed.stream().filter(id -> load.completed.getOrDefault(id, false)).count();
      assertThat(streamed).as("streamed requests completed").isPositive();
      assertThat(completed.size() - streamed).as("whole requests completed").isPositive();
      System.err.printf(
          "CrashTest[%s]: seed %d, %d completed (%d streamed), %d in flight at the kill, %d of"
              + " them billed, ledger %d records%n",
          store, seed, completed.size(), streamed, inFlight.size(), extra.size(), records.size());

      // ---- a new node on the same data serves on ----
      node = ShelfNode.launch("second", yaml, dir.resolve("data"));
      node.awaitReady();
      var after = new Load(node, key, "after-" + store.name().toLowerCase(java.util.Locale.ROOT));
      assertThat(after.once(false)).isTrue();
      assertThat(after.once(true)).isTrue();
      node.stop();
      try (Database db = open(store, dir, pgUrl)) {
        List<UsageRecord> now = new JdbiLedger(db).records(team, 0, Long.MAX_VALUE, 1_000_000);
        assertThat(now).hasSize(records.size() + 2);
        assertThat(now).extracting(UsageRecord::requestId).containsAll(after.completed.keySet());
        assertRollupsMatchRecords(db);
      }
    } finally {
      if (node != null) {
        node.close();
      }
      stub.close();
      if (pgUrl != null) {
        TestServices.dropPostgres(pgUrl);
      }
      ShelfNode.deleteTree(dir);
    }
  }

  private static Database open(Store store, Path dir, @Nullable String pgUrl) {
    return pgUrl == null
        ? Database.sqlite(dir.resolve("data").resolve("shelf.db"))
        : Database.postgres(pgUrl, "postgres", null, 2);
  }

  /** The daily rollups equal the sums of the raw records they count, row by row. */
  static void assertRollupsMatchRecords(Database db) {
    var fromRecords = new HashMap<String, List<Long>>();
    db.jdbi()
        .useHandle(
            h ->
                h.createQuery(
                        "SELECT at_ms, key_id, model, deployment, status, prompt_tokens,"
                            + " completion_tokens, cached_tokens, cost_nanos FROM usage_records")
                    .map(
                        (rs, ctx) -> {
                          String day =
                              Instant.ofEpochMilli(rs.getLong(1))
                                  .atZone(ZoneOffset.UTC)
                                  .toLocalDate()
                                  .toString();
                          String k = String.join("|", day, rs.getString(2), rs.getString(3));
                          k += "|" + rs.getString(4);
                          List<Long> s =
                              fromRecords.computeIfAbsent(
                                  k, x -> new ArrayList<>(List.of(0L, 0L, 0L, 0L, 0L, 0L)));
                          s.set(0, s.get(0) + 1);
                          s.set(1, s.get(1) + (rs.getInt(5) >= 400 ? 1 : 0));
                          for (int i = 2; i < 6; i++) {
                            s.set(i, s.get(i) + rs.getLong(i + 4));
                          }
                          return k;
                        })
                    .list());
    var rollups = new HashMap<String, List<Long>>();
    db.jdbi()
        .useHandle(
            h ->
                h.createQuery(
                        "SELECT day, key_id, model, deployment, requests, errors, prompt_tokens,"
                            + " completion_tokens, cached_tokens, cost_nanos FROM usage_daily")
                    .map(
                        (rs, ctx) -> {
                          String k =
                              String.join(
                                  "|",
                                  rs.getString(1),
                                  rs.getString(2),
                                  rs.getString(3),
                                  rs.getString(4));
                          var s = new ArrayList<Long>();
                          for (int i = 5; i <= 10; i++) {
                            s.add(rs.getLong(i));
                          }
                          rollups.put(k, s);
                          return k;
                        })
                    .list());
    assertThat(rollups).isNotEmpty().isEqualTo(fromRecords);
  }

  /** Client threads sending chat requests with ids of their own until stopped or refused. */
  static final class Load {
    final ShelfNode node;
    final String key;
    final String prefix;
    final Set<String> started = ConcurrentHashMap.newKeySet();

    /** Completed request ids, each with whether it streamed. */
    final Map<String, Boolean> completed = new ConcurrentHashMap<>();

    final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong next =
        new java.util.concurrent.atomic.AtomicLong();

    Load(ShelfNode node, String key, String prefix) {
      this.node = node;
      this.key = key;
      this.prefix = prefix;
    }

    void start() {
      for (int t = 0; t < CLIENTS; t++) {
        int first = t;
        threads.add(
            Thread.ofPlatform()
                .name("crash-client-" + t)
                .start(
                    () -> {
                      try {
                        for (int i = first; !stop.get(); i++) {
                          once(i % 2 == 0); // half the clients start streaming, all alternate
                        }
                      } catch (IOException | UncheckedIOException e) {
                        // the node is gone: this client stops
                      }
                    }));
      }
    }

    void stopAndJoin() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(30_000);
        assertThat(t.isAlive()).as(t.getName() + " still running").isFalse();
      }
    }

    /** One request; whether it completed. Throws when the connection fails. */
    boolean once(boolean stream) throws IOException {
      String id = prefix + "-" + next.incrementAndGet() + (stream ? "-s" : "-w");
      started.add(id);
      var req =
          node.request("/v1/chat/completions", "authorization", "Bearer " + key, "x-request-id", id)
              .POST(
                  java.net.http.HttpRequest.BodyPublishers.ofString(
                      "{\"model\": \"billed\", \"max_tokens\": 5, \"stream\": "
                          + stream
                          + ", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"))
              .build();
      try {
        if (stream) {
          HttpResponse<Stream<String>> r =
              node.http().send(req, HttpResponse.BodyHandlers.ofLines());
          try (Stream<String> lines = r.body()) {
            if (r.statusCode() != 200) {
              failures.add(id + ": " + r.statusCode());
              return false;
            }
            if (lines.anyMatch("data: [DONE]"::equals)) {
              completed.put(id, true);
              return true;
            }
            return false; // cut off: the node died mid-stream
          }
        }
        HttpResponse<String> r = node.http().send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          failures.add(id + ": " + r.statusCode() + " " + r.body());
          return false;
        }
        var json = dev.shelf.api.Json.MAPPER.readTree(r.body());
        if (json.at("/choices/0/message/content").asText().equals("hello")
            && json.at("/usage/total_tokens").asInt() == 15) {
          completed.put(id, false);
          return true;
        }
        failures.add(id + ": incomplete body " + r.body());
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
  }
}

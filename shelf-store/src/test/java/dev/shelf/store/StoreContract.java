package dev.shelf.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.Meter;
import dev.shelf.gateway.metering.UsageQuery;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.metering.UsageRow;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Budget;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.gateway.tenancy.TenancyStore.AuditEntry;
import dev.shelf.gateway.tenancy.User;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One body of store tests, run on SQLite ({@link SqliteStoreTest}) and on a real PostgreSQL ({@link
 * PostgresStoreTest}) through the same migrations.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StoreContract {
  private static final long DAY = 86_400_000L;
  Database db;
  JdbiTenancyStore store;
  JdbiLedger ledger;

  abstract Database open() throws Exception;

  abstract void dispose(Database db) throws Exception;

  @BeforeAll
  void start() throws Exception {
    db = open();
    store = new JdbiTenancyStore(db);
    ledger = new JdbiLedger(db);
  }

  @AfterAll
  void stop() throws Exception {
    dispose(db);
  }

  static Team team(String name) {
    return new Team(
        KeySecrets.newId("team"),
        name + "-" + KeySecrets.random(6),
        List.of(),
        Limits.NONE,
        null,
        null,
        System.currentTimeMillis());
  }

  static ApiKey key(Team t, String secret) {
    return new ApiKey(
        KeySecrets.newId("key"),
        t.id(),
        null,
        "ci",
        KeySecrets.prefix(secret),
        KeySecrets.hash(secret),
        false,
        List.of("gpt-4o", "deepseek/chat"),
        new Limits(60, 10_000, 4),
        new Budget(5_000_000_000L, Budget.Period.MONTH),
        null,
        null,
        System.currentTimeMillis());
  }

  static UsageRecord usage(String id, ApiKey k, long atMs, String model, long cost, int status) {
    return new UsageRecord(
        id,
        atMs,
        k.id(),
        k.teamId(),
        "chat",
        model,
        "openai/" + model,
        100,
        20,
        10,
        cost,
        false,
        120,
        30,
        status,
        status >= 400 ? "upstream_error" : null);
  }

  @Test
  void teamsAndKeysRoundTrip() {
    Team t = store.createTeam(team("search"));
    String secret = KeySecrets.newKey();
    ApiKey k = store.createKey(key(t, secret));

    assertThat(store.team(t.id())).contains(t);
    assertThat(store.teamByName(t.name())).contains(t);
    assertThat(store.keyByHash(KeySecrets.hash(secret))).contains(k);
    assertThat(store.keyByHash(KeySecrets.hash(secret + "x"))).isEmpty();
    assertThat(store.keys(t.id())).containsExactly(k);
    assertThat(store.anyActiveKey()).isTrue();

    var limited =
        new Team(
            t.id(),
            t.name(),
            List.of("gpt-4o"),
            new Limits(10, null, 2),
            new Budget(1_000_000_000L, Budget.Period.DAY),
            7L,
            t.createdMs());
    store.updateTeam(limited);
    assertThat(store.team(t.id())).contains(limited);

    var revoked =
        new ApiKey(
            k.id(),
            k.teamId(),
            null,
            "renamed",
            k.prefix(),
            k.hash(),
            true,
            List.of(),
            Limits.NONE,
            null,
            123L,
            456L,
            k.createdMs());
    store.updateKey(revoked);
    assertThat(store.key(k.id())).contains(revoked);
  }

  @Test
  void aTeamWithActiveKeysCannotBeDeleted() {
    Team t = store.createTeam(team("ads"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    assertThatThrownBy(() -> store.deleteTeam(t.id())).hasMessageContaining("1 active keys");
    store.updateKey(
        new ApiKey(
            k.id(),
            k.teamId(),
            k.userId(),
            k.name(),
            k.prefix(),
            k.hash(),
            k.admin(),
            k.models(),
            k.limits(),
            k.budget(),
            k.expiresMs(),
            System.currentTimeMillis(),
            k.createdMs()));
    assertThat(store.deleteTeam(t.id())).isTrue();
    assertThat(store.team(t.id())).isEmpty();
    assertThat(store.key(k.id())).isEmpty();
  }

  @Test
  void keysOfOneTeamAreNotListedForAnother() {
    Team a = store.createTeam(team("a"));
    Team b = store.createTeam(team("b"));
    ApiKey ka = store.createKey(key(a, KeySecrets.newKey()));
    ApiKey kb = store.createKey(key(b, KeySecrets.newKey()));
    assertThat(store.keys(a.id())).containsExactly(ka);
    assertThat(store.keys(b.id())).containsExactly(kb);
    assertThat(store.keys(null)).contains(ka, kb);
  }

  @Test
  void usersBelongToTeams() {
    Team t = store.createTeam(team("u"));
    User u =
        store.createUser(
            new User(
                KeySecrets.newId("user"),
                t.id(),
                "ann-" + KeySecrets.random(5) + "@x.org",
                "Ann",
                1L));
    assertThat(store.users(t.id())).containsExactly(u);
    assertThat(store.deleteUser("other-team", u.id())).isFalse();
    assertThat(store.deleteUser(t.id(), u.id())).isTrue();
    assertThat(store.users(t.id())).isEmpty();
  }

  @Test
  void appendingTheSameRequestTwiceCountsItOnce() {
    Team t = store.createTeam(team("ledger"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long now = System.currentTimeMillis();
    var batch =
        List.of(
            usage("r1-" + k.id(), k, now, "gpt-4o", 1_000, 200),
            usage("r2-" + k.id(), k, now, "gpt-4o", 2_000, 200),
            usage("r3-" + k.id(), k, now, "deepseek/chat", 4_000, 502));

    assertThat(ledger.append(batch)).isEqualTo(3);
    assertThat(ledger.append(batch)).isZero();
    assertThat(
            ledger.append(List.of(batch.get(1), usage("r4-" + k.id(), k, now, "gpt-4o", 8, 200))))
        .isEqualTo(1);

    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), 0, Long.MAX_VALUE)).isEqualTo(7_008);
    assertThat(ledger.spent(Ledger.Scope.TEAM, t.id(), 0, Long.MAX_VALUE)).isEqualTo(7_008);
    String today = JdbiLedger.day(now);
    List<UsageRow> byModel =
        ledger.report(new UsageQuery(UsageQuery.GroupBy.MODEL, today, today, t.id(), null));
    assertThat(byModel)
        .containsExactly(
            new UsageRow("deepseek/chat", 1, 1, 100, 20, 10, 4_000),
            new UsageRow("gpt-4o", 3, 0, 300, 60, 30, 3_008));
    assertThat(ledger.records(t.id(), 0, Long.MAX_VALUE, 10)).hasSize(4);
  }

  @Test
  void aRequestIdReusedByAnotherRequestStillBillsThatRequestOnce() {
    Team t = store.createTeam(team("reused"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long now = System.currentTimeMillis();
    String id = "client-chosen-" + k.id();
    UsageRecord refused = usage(id, k, now, "m", 0, 429);
    UsageRecord served = usage(id, k, now + 1, "m", 7, 200);
    assertThat(ledger.append(List.of(refused))).isEqualTo(1);
    // the client retried with the same x-request-id and was served: that request is billed
    assertThat(ledger.append(List.of(served))).isEqualTo(1);
    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), 0, Long.MAX_VALUE)).isEqualTo(7);
    // and a replay of either (a commit retried by the meter) still counts nothing
    assertThat(ledger.append(List.of(served, refused))).isZero();
    assertThat(ledger.append(List.of(served))).isZero();
    List<UsageRecord> rs = ledger.records(t.id(), 0, Long.MAX_VALUE, 10);
    assertThat(rs).extracting(UsageRecord::status).containsExactlyInAnyOrder(200, 429);
    assertThat(rs).extracting(UsageRecord::requestId).contains(id).allMatch(r -> r.startsWith(id));
    String today = JdbiLedger.day(now);
    assertThat(ledger.report(new UsageQuery(UsageQuery.GroupBy.KEY, today, today, t.id(), null)))
        .extracting(UsageRow::requests, UsageRow::errors, UsageRow::costNanos)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, 1L, 7L));
  }

  @Test
  void aRequestRepeatedInsideOneBatchCountsOnceAndAnotherUnderItsIdIsBilled() {
    Team t = store.createTeam(team("repeats"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long now = System.currentTimeMillis();
    var first = usage("d1-" + k.id(), k, now, "gpt-4o", 1_000, 200);
    var batch =
        List.of(
            first,
            usage("d2-" + k.id(), k, now, "gpt-4o", 2_000, 200),
            first,
            usage("d1-" + k.id(), k, now, "gpt-4o", 5_000, 200));

    // the same record twice is one request; another record under the same id is another
    assertThat(ledger.append(batch)).isEqualTo(3);
    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), 0, Long.MAX_VALUE)).isEqualTo(8_000);
    assertThat(ledger.records(t.id(), 0, Long.MAX_VALUE, 10)).hasSize(3).contains(first);
    assertThat(ledger.append(batch)).isZero();
  }

  @Test
  void spendIsCountedPerPeriodFromTheRollups() {
    Team t = store.createTeam(team("periods"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long today = Budget.Period.DAY.start(Instant.now());
    ledger.append(
        List.of(
            usage("p1-" + k.id(), k, today - 40 * DAY, "m", 100, 200),
            usage("p2-" + k.id(), k, today - DAY, "m", 20, 200),
            usage("p3-" + k.id(), k, today + 5, "m", 3, 200)));
    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), today, today + DAY)).isEqualTo(3);
    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), today - DAY, today)).isEqualTo(20);
    assertThat(ledger.spent(Ledger.Scope.TEAM, t.id(), 0, Long.MAX_VALUE)).isEqualTo(123);
    String from = JdbiLedger.day(today - 40 * DAY);
    String to = JdbiLedger.day(today);
    assertThat(ledger.report(new UsageQuery(UsageQuery.GroupBy.DAY, from, to, null, k.id())))
        .extracting(UsageRow::costNanos)
        .containsExactly(100L, 20L, 3L);
  }

  @Test
  void purgeDropsOldRawRecordsButKeepsTheRollups() {
    Team t = store.createTeam(team("purge"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long now = System.currentTimeMillis();
    ledger.append(
        List.of(
            usage("old-" + k.id(), k, now - 100 * DAY, "m", 5, 200),
            usage("new-" + k.id(), k, now, "m", 7, 200)));
    assertThat(ledger.purge(now - 90 * DAY)).isGreaterThanOrEqualTo(1);
    assertThat(ledger.records(t.id(), 0, Long.MAX_VALUE, 10))
        .extracting(UsageRecord::requestId)
        .containsExactly("new-" + k.id());
    assertThat(ledger.spent(Ledger.Scope.TEAM, t.id(), 0, Long.MAX_VALUE)).isEqualTo(12);
  }

  @Test
  void concurrentWritersWithOverlappingIdsCountEachRequestOnce() throws Exception {
    Team t = store.createTeam(team("race"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long now = System.currentTimeMillis();
    int writers = 8;
    int ids = 400;
    var start = new CountDownLatch(1);
    var added = new AtomicInteger();
    try (var pool = Executors.newFixedThreadPool(writers)) {
      var futures = new ArrayList<CompletableFuture<Void>>();
      for (int w = 0; w < writers; w++) {
        int offset = w * 37;
        futures.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  for (int i = 0; i < ids; i += 50) {
                    var batch = new ArrayList<UsageRecord>();
                    for (int j = 0; j < 50; j++) {
                      int id = (offset + i + j) % ids;
                      batch.add(usage("c" + id + "-" + k.id(), k, now, "m", 1, 200));
                    }
                    added.addAndGet(ledger.append(batch));
                  }
                },
                pool));
      }
      start.countDown();
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get();
    }
    assertThat(added.get()).isEqualTo(ids);
    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), 0, Long.MAX_VALUE)).isEqualTo(ids);
  }

  @Test
  void theMeterCommitsEveryRecordOnceInGroups() throws Exception {
    Team t = store.createTeam(team("meter"));
    ApiKey k = store.createKey(key(t, KeySecrets.newKey()));
    long now = System.currentTimeMillis();
    int n = 2_000;
    try (var meter = new Meter(ledger, 256, Duration.ofSeconds(30));
        var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        int id = i;
        pool.submit(() -> meter.record(usage("g" + id + "-" + k.id(), k, now, "m", 3, 200)));
      }
    }
    assertThat(ledger.spent(Ledger.Scope.KEY, k.id(), 0, Long.MAX_VALUE)).isEqualTo(3L * n);
    assertThat(ledger.records(t.id(), 0, Long.MAX_VALUE, n + 10)).hasSize(n);
  }

  @Test
  void creditsAndSingleUseRedemptionCodes() throws Exception {
    Team t = store.createTeam(team("prepaid"));
    assertThat(store.addCredit(t.id(), 5_000, "topup", "invoice 17")).isEqualTo(5_000);
    String code = KeySecrets.hash("GIFT-" + t.id());
    store.createRedemptionCode(code, 2_000, null);
    String expired = KeySecrets.hash("OLD-" + t.id());
    store.createRedemptionCode(expired, 9_000, System.currentTimeMillis() - 1);

    var wins = new AtomicInteger();
    try (var pool = Executors.newFixedThreadPool(4)) {
      var fs = new ArrayList<CompletableFuture<Void>>();
      for (int i = 0; i < 4; i++) {
        fs.add(
            CompletableFuture.runAsync(
                () -> {
                  Optional<Long> got = store.redeem(code, t.id(), System.currentTimeMillis());
                  got.ifPresent(x -> wins.incrementAndGet());
                },
                pool));
      }
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get();
    }
    assertThat(wins.get()).isEqualTo(1);
    assertThat(store.redeem(expired, t.id(), System.currentTimeMillis())).isEmpty();
    assertThat(store.team(t.id()).orElseThrow().creditNanos()).isEqualTo(7_000L);
  }

  @Test
  void auditEntriesAreKeptPerTeam() {
    Team a = store.createTeam(team("audit-a"));
    Team b = store.createTeam(team("audit-b"));
    store.audit(new AuditEntry(1, "master", a.id(), "key.create", "key_1", "{}"));
    store.audit(new AuditEntry(2, "master", b.id(), "key.revoke", "key_2", "{}"));
    assertThat(store.audit(a.id(), 10))
        .extracting(AuditEntry::action)
        .containsExactly("key.create");
    assertThat(store.audit(null, 1000)).extracting(AuditEntry::target).contains("key_1", "key_2");
  }

  @Test
  void evalRunsKeepTheFirstAnswerOfEveryItem() {
    var runs = new JdbiRunStore(db);
    String name = "run-" + KeySecrets.random(6);
    var spec =
        new dev.shelf.eval.exec.RunSpec(
            name,
            new dev.shelf.eval.exec.DatasetSpec(
                "gsm8k", dev.shelf.eval.dataset.TaskType.MATH, "/x.jsonl", null, "gsm8k", null),
            List.of("a", "b"),
            0,
            dev.shelf.eval.exec.ChatSettings.DEFAULT,
            4,
            null,
            "http://127.0.0.1:1/v1",
            java.util.Map.of("a", new dev.shelf.eval.exec.ModelPrice(1, 2, "USD")));
    runs.create(spec, 10);
    assertThatThrownBy(() -> runs.create(spec, 10)).hasMessageContaining("exists already");
    var m =
        new dev.shelf.eval.run.Measurement(
            Duration.ofMillis(30),
            Duration.ofMillis(5),
            12,
            7,
            new java.math.BigDecimal("0.000026"));
    runs.save(name, "a", "x:1", dev.shelf.eval.run.Response.of("#### 3", m));
    runs.save(name, "a", "x:1", dev.shelf.eval.run.Response.of("#### 4", null));
    runs.save(name, "a", "x:2", dev.shelf.eval.run.Response.failed("HTTP 429: slow down", null));
    var got = runs.responses(name, "a");
    assertThat(got).containsOnlyKeys("x:1", "x:2");
    assertThat(got.get("x:1")).isEqualTo(dev.shelf.eval.run.Response.of("#### 3", m));
    assertThat(java.util.Objects.requireNonNull(got.get("x:2")).error())
        .isEqualTo("HTTP 429: slow down");
    assertThat(runs.responses(name, "b")).isEmpty();
    runs.status(name, dev.shelf.eval.exec.RunStatus.FINISHED);
    var info = java.util.Objects.requireNonNull(runs.find(name));
    assertThat(info.spec()).isEqualTo(spec);
    assertThat(info.finished()).isEqualTo(2);
    assertThat(info.status()).isEqualTo(dev.shelf.eval.exec.RunStatus.FINISHED);
    assertThat(runs.list()).extracting(i -> i.spec().name()).contains(name);
  }
}

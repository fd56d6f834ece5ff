package dev.shelf.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.audit.Complaint;
import dev.shelf.gateway.audit.ComplaintStatus;
import dev.shelf.gateway.audit.ContentAudit;
import dev.shelf.gateway.audit.PolicyHit;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Team;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The content audit and complaints stores: one body run on SQLite ({@link SqliteContentAuditTest})
 * and on a real PostgreSQL ({@link PostgresContentAuditTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ContentAuditContract {
  Database db;
  JdbiContentAudit audit;
  JdbiComplaints complaints;
  JdbiTenancyStore tenancy;
  JdbiLedger ledger;

  abstract Database open() throws Exception;

  abstract void dispose(Database db) throws Exception;

  @BeforeAll
  void start() throws Exception {
    db = open();
    audit = new JdbiContentAudit(db);
    complaints = new JdbiComplaints(db);
    tenancy = new JdbiTenancyStore(db);
    ledger = new JdbiLedger(db);
  }

  @AfterAll
  void stop() throws Exception {
    dispose(db);
  }

  static String team() {
    return KeySecrets.newId("team");
  }

  static ContentAudit record(
      String team, String requestId, @Nullable String request, long atMs, PolicyHit... hits) {
    return new ContentAudit(
        0,
        requestId,
        team,
        "key_1",
        "chat",
        "m",
        AuditMode.FULL,
        request,
        request == null ? null : "answer to " + request,
        200,
        List.of(hits),
        atMs);
  }

  @Test
  void recordsRoundTripNewestFirstPagedAndPerTeam() {
    String a = team();
    String b = team();
    long now = System.currentTimeMillis();
    var hit = new PolicyHit("input", "pii", "email", "redact");
    var hit2 = new PolicyHit("output", "blocklist", "violence", "block");
    audit.append(
        List.of(
            record(a, "r1", "one", now, hit, hit2),
            record(a, "r2", "two 你好", now),
            record(b, "r3", "three", now),
            record(a, "r4", null, now),
            record(a, "r5", "five", now)));
    List<ContentAudit> page1 = audit.records(a, null, 0, 3);
    assertThat(page1).extracting(ContentAudit::requestId).containsExactly("r5", "r4", "r2");
    List<ContentAudit> page2 = audit.records(a, null, page1.getLast().id(), 3);
    assertThat(page2).extracting(ContentAudit::requestId).containsExactly("r1");

    ContentAudit r1 = page2.getFirst();
    assertThat(r1.policyHits()).containsExactly(hit, hit2);
    assertThat(r1.request()).isEqualTo("one");
    assertThat(r1.response()).isEqualTo("answer to one");
    assertThat(r1.mode()).isEqualTo(AuditMode.FULL);
    assertThat(r1.createdMs()).isEqualTo(now);
    assertThat(page1.get(1).request()).isNull();
    assertThat(page1.get(1).response()).isNull();
    assertThat(page1.get(2).request()).isEqualTo("two 你好");

    assertThat(audit.records(b, null, 0, 10))
        .extracting(ContentAudit::requestId)
        .containsExactly("r3");
    assertThat(audit.records(b, "r1", 0, 10)).isEmpty(); // another team's request
    assertThat(audit.records(null, "r3", 0, 10)).hasSize(1);
    assertThat(audit.records(a, "r2", 0, 10))
        .extracting(ContentAudit::request)
        .containsExactly("two 你好");
  }

  @Test
  void purgeRemovesOnlyRecordsOlderThanTheCutoff() {
    String t = team();
    long now = System.currentTimeMillis();
    long day = 86_400_000L;
    audit.append(
        List.of(
            record(t, "old1", "x", now - 40 * day),
            record(t, "old2", "x", now - 31 * day),
            record(t, "new1", "x", now - 29 * day),
            record(t, "new2", "x", now)));
    int purged = audit.purge(now - 30 * day);
    assertThat(purged).isEqualTo(2); // other tests write only recent records
    assertThat(audit.records(t, null, 0, 10))
        .extracting(ContentAudit::requestId)
        .containsExactly("new2", "new1");
    assertThat(audit.purge(now - 30 * day)).isZero();
  }

  @Test
  void appendingNothingIsANoOp() {
    long before = audit.count();
    audit.append(List.of());
    assertThat(audit.count()).isEqualTo(before);
  }

  static Complaint complaint(String team, String requestId, long atMs) {
    return new Complaint(
        KeySecrets.newId("cmp"),
        requestId,
        team,
        "key_reporter",
        "harmful",
        "it said something bad",
        ComplaintStatus.OPEN,
        null,
        null,
        atMs,
        atMs);
  }

  @Test
  void complaintLifecycleWithTimestampsAndAQueueOldestFirst() {
    String t = team();
    String other = team();
    Complaint late = complaints.create(complaint(t, "r-late", 2_000));
    Complaint early = complaints.create(complaint(t, "r-early", 1_000));
    Complaint elsewhere = complaints.create(complaint(other, "r-x", 500));

    assertThat(complaints.complaint(early.id())).contains(early);
    assertThat(complaints.complaints(t, EnumSet.of(ComplaintStatus.OPEN), 10))
        .containsExactly(early, late);
    assertThat(complaints.complaints(other, Set.of(), 10)).containsExactly(elsewhere);

    Complaint reviewing =
        complaints
            .update(
                early.id(),
                ComplaintStatus.OPEN,
                ComplaintStatus.REVIEWING,
                null,
                "key_admin",
                3_000)
            .orElseThrow();
    assertThat(reviewing.status()).isEqualTo(ComplaintStatus.REVIEWING);
    assertThat(reviewing.handledBy()).isEqualTo("key_admin");
    assertThat(reviewing.createdMs()).isEqualTo(1_000);
    assertThat(reviewing.updatedMs()).isEqualTo(3_000);

    // a second reviewer acting on the stale status loses
    assertThat(
            complaints.update(
                early.id(), ComplaintStatus.OPEN, ComplaintStatus.DISMISSED, "no", "key_b", 3_500))
        .isEmpty();

    Complaint upheld =
        complaints
            .update(
                early.id(),
                ComplaintStatus.REVIEWING,
                ComplaintStatus.UPHELD,
                "model output removed",
                "master",
                4_000)
            .orElseThrow();
    assertThat(upheld.resolution()).isEqualTo("model output removed");
    assertThat(upheld.updatedMs()).isEqualTo(4_000);
    assertThat(complaints.complaint(early.id())).contains(upheld);

    assertThat(complaints.complaints(t, EnumSet.of(ComplaintStatus.OPEN), 10))
        .containsExactly(late);
    assertThat(
            complaints.complaints(t, EnumSet.of(ComplaintStatus.OPEN, ComplaintStatus.UPHELD), 10))
        .containsExactly(upheld, late);
    assertThat(complaints.complaints(t, Set.of(), 1)).containsExactly(upheld);
    assertThat(complaints.complaint("cmp_missing")).isEmpty();
  }

  @Test
  void aRequestIsKnownToItsTeamFromTheLedgerOrTheAudit() {
    String a = team();
    String b = team();
    ledger.append(
        List.of(
            new UsageRecord(
                "req-ledger", 1L, "k", a, "chat", "m", null, 1, 1, 0, 0, false, 1, 1, 200, null)));
    audit.append(List.of(record(a, "req-audit", "x", System.currentTimeMillis())));
    assertThat(complaints.knownRequest(a, "req-ledger")).isTrue();
    assertThat(complaints.knownRequest(a, "req-audit")).isTrue();
    assertThat(complaints.knownRequest(b, "req-ledger")).isFalse();
    assertThat(complaints.knownRequest(b, "req-audit")).isFalse();
    assertThat(complaints.knownRequest(a, "req-none")).isFalse();
  }

  @Test
  void aTeamKeepsItsAuditMode() {
    var t =
        new Team(
            KeySecrets.newId("team"),
            "audited-" + KeySecrets.random(6),
            List.of(),
            Limits.NONE,
            null,
            null,
            1L,
            AuditMode.FULL);
    tenancy.createTeam(t);
    assertThat(tenancy.team(t.id())).contains(t);
    tenancy.updateTeam(t.withAudit(AuditMode.OFF));
    assertThat(tenancy.team(t.id()).orElseThrow().audit()).isEqualTo(AuditMode.OFF);
    tenancy.updateTeam(t.withAudit(null));
    assertThat(tenancy.team(t.id()).orElseThrow().audit()).isNull();
  }
}

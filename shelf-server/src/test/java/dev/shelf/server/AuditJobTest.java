package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.audit.AuditText;
import dev.shelf.gateway.audit.ContentAudit;
import dev.shelf.gateway.audit.PolicyHit;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiContentAudit;
import dev.shelf.store.testing.TestServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Audit} on its own: what it writes in each mode, policy hits, and the retention purge. */
class AuditJobTest {
  private static final long DAY = 86_400_000L;

  @TempDir Path dir;
  private Database db;
  private JdbiContentAudit store;
  private Audit audit;

  @BeforeEach
  void open() {
    db = TestServices.newSqlite(dir);
    store = new JdbiContentAudit(db);
    audit = new Audit(store, new ShelfConfig.Audit(AuditMode.HASHED, Duration.ofDays(30)), 16);
  }

  @AfterEach
  void close() {
    audit.close();
    db.close();
  }

  private static Exchange exchange(String id, AuditMode mode) {
    var ex = new Exchange(id, "chat", "ci");
    ex.billedTo("key_1", "team_1");
    ex.model("m");
    ex.audit().mode(mode);
    ex.audit().input("[user] the prompt");
    ex.audit().response("the answer");
    return ex;
  }

  private List<ContentAudit> written(String id) throws InterruptedException {
    audit.flush();
    return store.records(null, id, 0, 10);
  }

  @Test
  void offWritesOnlyPolicyHitsAndNoContent() throws Exception {
    Exchange quiet = exchange("off-quiet", AuditMode.OFF);
    audit.finish(quiet);
    Exchange hit = exchange("off-hit", AuditMode.OFF);
    hit.policyHit(PolicyHit.INPUT, "pii-email", "pii", "redact");
    hit.policyHit(PolicyHit.OUTPUT, "blocklist", "violence", "block");
    hit.fail(400, "content_blocked");
    audit.finish(hit);

    assertThat(written("off-quiet")).isEmpty();
    ContentAudit r = written("off-hit").getFirst();
    assertThat(r.mode()).isEqualTo(AuditMode.OFF);
    assertThat(r.request()).isNull();
    assertThat(r.response()).isNull();
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.policyHits())
        .containsExactly(
            new PolicyHit("input", "pii-email", "pii", "redact"),
            new PolicyHit("output", "blocklist", "violence", "block"));
  }

  @Test
  void fullKeepsTextAndHashedOnlyItsSha256() throws Exception {
    audit.finish(exchange("full", AuditMode.FULL));
    Exchange hashed = exchange("hashed", AuditMode.HASHED);
    hashed.policyHit(PolicyHit.OUTPUT, "r", "c", "flag");
    audit.finish(hashed);
    ContentAudit full = written("full").getFirst();
    assertThat(full.request()).isEqualTo("[user] the prompt");
    assertThat(full.response()).isEqualTo("the answer");
    ContentAudit h = written("hashed").getFirst();
    assertThat(h.request()).isEqualTo(AuditText.sha256("[user] the prompt"));
    assertThat(h.response()).isEqualTo(AuditText.sha256("the answer"));
    assertThat(AuditText.sha256("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(h.response()).hasSize(64).doesNotContain("answer");
    assertThat(h.policyHits()).hasSize(1);
  }

  @Test
  void aRequestNotBegunOrNotAModelCallIsNotAudited() throws Exception {
    var unauthenticated = new Exchange("nobody", "chat", null);
    unauthenticated.audit().input("x");
    audit.finish(unauthenticated);
    assertThat(written("nobody")).isEmpty();

    var team = new Team("team_f", "f", List.of(), Limits.NONE, null, null, 1L, AuditMode.FULL);
    var caller = new Principal("key_f", "team_f", "f", false, false, List.of(), null, team);
    var admin = new Exchange("admin-call", "admin", "f");
    audit.begin(admin, caller);
    assertThat(admin.audit().mode()).isNull();
    var chat = new Exchange("chat-call", "chat", "f");
    audit.begin(chat, caller);
    assertThat(chat.audit().mode()).isEqualTo(AuditMode.FULL);
    var master = new Exchange("master-call", "messages", "master");
    audit.begin(master, Principal.MASTER);
    assertThat(master.audit().mode()).isEqualTo(AuditMode.HASHED); // audit.default
  }

  @Test
  void theRetentionPurgeRemovesOnlyOldRecords() {
    long now = System.currentTimeMillis();
    store.append(
        List.of(record("old", now - 31 * DAY), record("edge", now - 29 * DAY), record("new", now)));
    assertThat(audit.purge(now)).isEqualTo(1);
    assertThat(store.records(null, null, 0, 10))
        .extracting(ContentAudit::requestId)
        .containsExactly("new", "edge");

    var forever = new Audit(store, new ShelfConfig.Audit(AuditMode.FULL, null), 16);
    try {
      assertThat(forever.purge(now + 1000 * DAY)).isZero();
    } finally {
      forever.close();
    }
  }

  private static ContentAudit record(String id, long at) {
    return new ContentAudit(
        0, id, "team_1", "key_1", "chat", "m", AuditMode.FULL, "q", "a", 200, List.of(), at);
  }
}

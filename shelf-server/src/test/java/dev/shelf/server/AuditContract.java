package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.audit.AuditStore;
import dev.shelf.gateway.audit.AuditText;
import dev.shelf.gateway.audit.ContentAudit;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.server.stub.ChatStream;
import dev.shelf.server.stub.StubUpstream;
import dev.shelf.store.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The content audit and complaints through the real server, its admin API and the database: one
 * body, run on SQLite ({@link AuditTest}) and on PostgreSQL with Redis ({@link PostgresAuditTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AuditContract {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static final String YAML =
      """
      server: {port: 0, shutdown_grace: 1s, access_log: false}
      auth: {master_key: %s}
      resilience: {max_attempts: 1, breaker_failures: 1000, cooldown: 1ms}
      providers:
        up: {type: openai, base_url: %s, api_key: sk-upstream-0123456789}
      models:
        - {id: billed, provider: up, upstream: up-billed, price: {input: 1, output: 1, currency: USD}}
      audit: {default: hashed, retention: 30d}
      """;
  static final String ANSWER = "the model's answer";

  StubUpstream stub;
  ShelfHarness shelf;

  /** A server over fresh accounts with the content audit on. */
  abstract ShelfHarness start(String yaml);

  /** The database behind the server's accounts, to read rows as stored. */
  abstract Database database();

  @BeforeAll
  void up() {
    stub = StubUpstream.start();
    stub.handler(
        r ->
            ChatStream.of("up-billed")
                .role()
                .content("the model's ")
                .content("answer")
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

  ShelfHarness.Raw call(String method, String path, String body, String key) {
    return switch (method) {
      case "GET" -> shelf.get(path, "authorization", "Bearer " + key);
      case "PATCH" -> shelf.patch(path, body, "authorization", "Bearer " + key);
      default -> shelf.post(path, body, "authorization", "Bearer " + key);
    };
  }

  JsonNode ok(String method, String path, String body, String key) {
    var r = call(method, path, body, key);
    assertThat(r.status()).as(method + " " + path + ": " + r.body()).isBetween(200, 201);
    return r.json();
  }

  /** A team (with {@code extra} fields) and a key of it; returns [team id, key secret]. */
  String[] teamAndKey(String extra, boolean admin) {
    String team =
        ok(
                "POST",
                "/admin/v1/teams",
                "{\"name\": \"t-%s\"%s}".formatted(KeySecrets.random(8), extra),
                MASTER)
            .get("id")
            .asText();
    String key =
        ok(
                "POST",
                "/admin/v1/keys",
                "{\"team_id\": \"%s\", \"admin\": %s}".formatted(team, admin),
                MASTER)
            .get("key")
            .asText();
    return new String[] {team, key};
  }

  /** A chat call saying {@code text}; returns its request id. */
  String chat(String key, String text, boolean stream) {
    var r =
        shelf.post(
            "/v1/chat/completions",
            ("{\"model\": \"billed\", \"stream\": %s, \"messages\": [{\"role\": \"system\","
                    + " \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"%s\"}]}")
                .formatted(stream, text),
            "authorization",
            "Bearer " + key);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return Objects.requireNonNull(r.header("x-request-id"));
  }

  AuditStore store() {
    return Objects.requireNonNull(shelf.accounts().audit());
  }

  /** The audit records of a request, once the asynchronous writer has written one. */
  List<ContentAudit> awaitRecords(String requestId) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      List<ContentAudit> rs = store().records(null, requestId, 0, 10);
      if (!rs.isEmpty()) {
        return rs;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no audit record for " + requestId + " within 10 s");
  }

  /** Every stored column of the request's audit rows, as text. */
  List<String> rawRows(String requestId) {
    return database()
        .jdbi()
        .withHandle(
            h ->
                h.createQuery("SELECT * FROM content_audit WHERE request_id = :r")
                    .bind("r", requestId)
                    .map(
                        (rs, ctx) -> {
                          var cols = new ArrayList<String>();
                          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                            cols.add(String.valueOf(rs.getObject(i)));
                          }
                          return String.join("|", cols);
                        })
                    .list());
  }

  // ---- content audit ----

  @Test
  void fullModeKeepsTheRequestAndResponseText() throws Exception {
    String[] tk = teamAndKey(", \"audit\": \"full\"", false);
    String word = "fullmode-" + KeySecrets.random(8);
    for (boolean stream : new boolean[] {false, true}) {
      String id = chat(tk[1], word, stream);
      ContentAudit r = awaitRecords(id).getFirst();
      assertThat(r.mode()).isEqualTo(AuditMode.FULL);
      assertThat(r.request()).isEqualTo("[system] be brief\n[user] " + word);
      assertThat(r.response()).isEqualTo(ANSWER);
      assertThat(r.teamId()).isEqualTo(tk[0]);
      assertThat(r.endpoint()).isEqualTo("chat");
      assertThat(r.model()).isEqualTo("billed");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.policyHits()).isEmpty();
      assertThat(rawRows(id)).singleElement().asString().contains(word, ANSWER);

      JsonNode page = ok("GET", "/admin/v1/audit/content?request_id=" + id, "", MASTER).get("data");
      assertThat(page).hasSize(1);
      assertThat(page.get(0).get("request").asText()).endsWith(word);
      assertThat(page.get(0).get("response").asText()).isEqualTo(ANSWER);
      assertThat(page.get(0).get("mode").asText()).isEqualTo("full");
    }
  }

  @Test
  void theAnthropicEndpointIsAuditedToo() throws Exception {
    String[] tk = teamAndKey(", \"audit\": \"full\"", false);
    var r =
        shelf.post(
            "/v1/messages",
            "{\"model\": \"billed\", \"max_tokens\": 50, \"system\": \"be brief\","
                + " \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\","
                + " \"text\": \"via messages\"}]}]}",
            "x-api-key",
            tk[1]);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    ContentAudit a = awaitRecords(Objects.requireNonNull(r.header("x-request-id"))).getFirst();
    assertThat(a.endpoint()).isEqualTo("messages");
    assertThat(a.request()).contains("[user] via messages").contains("be brief");
    assertThat(a.response()).isEqualTo(ANSWER);
  }

  @Test
  void hashedModeKeepsOnlyHashesNeverTheText() throws Exception {
    String[] tk = teamAndKey("", false); // follows audit.default: hashed
    String word = "hashedmode-" + KeySecrets.random(8);
    String id = chat(tk[1], word, true);
    ContentAudit r = awaitRecords(id).getFirst();
    assertThat(r.mode()).isEqualTo(AuditMode.HASHED);
    assertThat(r.request()).isEqualTo(AuditText.sha256("[system] be brief\n[user] " + word));
    assertThat(r.response()).isEqualTo(AuditText.sha256(ANSWER));
    assertThat(r.request()).matches("[0-9a-f]{64}");
    List<String> raw = rawRows(id);
    assertThat(raw).hasSize(1);
    assertThat(raw.getFirst()).doesNotContain(word).doesNotContain("answer").contains("hashed");
  }

  @Test
  void offModeKeepsNothingAndATeamsModeChangesAtRunTime() throws Exception {
    String[] tk = teamAndKey(", \"audit\": \"off\"", false);
    String[] full = teamAndKey(", \"audit\": \"full\"", false);
    String off = chat(tk[1], "offmode", false);
    // the writer keeps order: once a later record is written, an earlier one would be too
    awaitRecords(chat(full[1], "later", false));
    assertThat(store().records(null, off, 0, 10)).isEmpty();
    assertThat(rawRows(off)).isEmpty();

    JsonNode team = ok("PATCH", "/admin/v1/teams/" + tk[0], "{\"audit\": \"full\"}", MASTER);
    assertThat(team.get("audit").asText()).isEqualTo("full");
    assertThat(call("PATCH", "/admin/v1/teams/" + tk[0], "{\"audit\": \"some\"}", MASTER).status())
        .isEqualTo(400);
    Thread.sleep(1_100); // the key cache (one second) carries the team
    String now = chat(tk[1], "now-full", false);
    assertThat(awaitRecords(now).getFirst().request()).endsWith("now-full");
  }

  @Test
  void teamAdminsSeeOnlyTheirOwnTeamsAudit() throws Exception {
    String[] a = teamAndKey(", \"audit\": \"full\"", true);
    String[] b = teamAndKey(", \"audit\": \"full\"", true);
    String ida = chat(a[1], "from-a", false);
    String idb = chat(b[1], "from-b", false);
    awaitRecords(ida);
    awaitRecords(idb);

    JsonNode seen = ok("GET", "/admin/v1/audit/content?limit=1000", "", a[1]).get("data");
    assertThat(seen).isNotEmpty();
    seen.forEach(r -> assertThat(r.get("team_id").asText()).isEqualTo(a[0]));
    assertThat(ok("GET", "/admin/v1/audit/content?request_id=" + idb, "", a[1]).get("data"))
        .isEmpty();
    assertThat(call("GET", "/admin/v1/audit/content?team=" + b[0], "", a[1]).status())
        .isEqualTo(404);
    assertThat(ok("GET", "/admin/v1/audit/content?team=" + b[0], "", MASTER).get("data"))
        .allSatisfy(r -> assertThat(r.get("team_id").asText()).isEqualTo(b[0]));
    String[] plain = teamAndKey("", false);
    assertThat(call("GET", "/admin/v1/audit/content", "", plain[1]).status()).isEqualTo(403);
  }

  @Test
  void theContentAuditPagesNewestFirst() throws Exception {
    String[] tk = teamAndKey(", \"audit\": \"full\"", true);
    var ids = new ArrayList<String>();
    for (int i = 0; i < 3; i++) {
      ids.add(chat(tk[1], "page-" + i, false));
    }
    awaitRecords(ids.getLast());
    awaitRecords(ids.getFirst());
    JsonNode p1 = ok("GET", "/admin/v1/audit/content?limit=2", "", tk[1]);
    assertThat(p1.get("has_more").asBoolean()).isTrue();
    JsonNode p2 =
        ok("GET", "/admin/v1/audit/content?limit=2&after=" + p1.get("last_id").asText(), "", tk[1]);
    assertThat(p2.get("has_more").asBoolean()).isFalse();
    var seen = new ArrayList<String>();
    p1.get("data").forEach(r -> seen.add(r.get("request_id").asText()));
    p2.get("data").forEach(r -> seen.add(r.get("request_id").asText()));
    assertThat(seen).containsExactly(ids.get(2), ids.get(1), ids.get(0));
    assertThat(call("GET", "/admin/v1/audit/content?after=x", "", tk[1]).status()).isEqualTo(400);
    assertThat(call("GET", "/admin/v1/audit/content?limit=0", "", tk[1]).status()).isEqualTo(400);
  }

  // ---- complaints ----

  String complain(String key, String requestId) {
    return ok(
            "POST",
            "/v1/complaints",
            "{\"request_id\": \"%s\", \"reason\": \"harmful\", \"detail\": \"it was rude\"}"
                .formatted(requestId),
            key)
        .get("id")
        .asText();
  }

  @Test
  void aComplaintGoesFromOpenToADecisionWithTimestamps() throws Exception {
    String[] tk = teamAndKey(", \"audit\": \"full\"", false);
    String id = chat(tk[1], "complained-about", false);
    var made =
        call(
            "POST",
            "/v1/complaints",
            "{\"request_id\": \"%s\", \"reason\": \"harmful\", \"detail\": \"it was rude\"}"
                .formatted(id),
            tk[1]);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    JsonNode c = made.json();
    String cid = c.get("id").asText();
    assertThat(c.get("status").asText()).isEqualTo("open");
    assertThat(c.get("team_id").asText()).isEqualTo(tk[0]);
    assertThat(c.get("request_id").asText()).isEqualTo(id);
    assertThat(c.get("resolution").isNull()).isTrue();
    long created = c.get("created_at_ms").asLong();
    assertThat(created)
        .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));

    JsonNode queue = ok("GET", "/admin/v1/complaints?team_id=" + tk[0], "", MASTER).get("data");
    assertThat(queue).extracting(n -> n.get("id").asText()).containsExactly(cid);

    Thread.sleep(5);
    JsonNode reviewing =
        ok("PATCH", "/admin/v1/complaints/" + cid, "{\"status\": \"reviewing\"}", MASTER);
    assertThat(reviewing.get("status").asText()).isEqualTo("reviewing");
    assertThat(reviewing.get("handled_by").asText()).isEqualTo("master");
    assertThat(reviewing.get("created_at_ms").asLong()).isEqualTo(created);
    assertThat(reviewing.get("updated_at_ms").asLong()).isGreaterThan(created);

    JsonNode upheld =
        ok(
            "PATCH",
            "/admin/v1/complaints/" + cid,
            "{\"status\": \"upheld\", \"resolution\": \"blocked the phrase\"}",
            MASTER);
    assertThat(upheld.get("status").asText()).isEqualTo("upheld");
    assertThat(upheld.get("resolution").asText()).isEqualTo("blocked the phrase");
    assertThat(upheld.get("updated_at_ms").asLong())
        .isGreaterThanOrEqualTo(reviewing.get("updated_at_ms").asLong());

    var back = call("PATCH", "/admin/v1/complaints/" + cid, "{\"status\": \"open\"}", MASTER);
    assertThat(back.status()).isEqualTo(409);
    assertThat(back.json().at("/error/code").asText()).isEqualTo("invalid_transition");
    var bad = call("PATCH", "/admin/v1/complaints/" + cid, "{\"status\": \"maybe\"}", MASTER);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().at("/error/param").asText()).isEqualTo("status");
    assertThat(
            call("PATCH", "/admin/v1/complaints/cmp_nope", "{\"status\": \"upheld\"}", MASTER)
                .status())
        .isEqualTo(404);

    JsonNode shown = ok("GET", "/admin/v1/complaints/" + cid, "", MASTER);
    assertThat(shown.get("audit")).hasSize(1);
    assertThat(shown.get("audit").get(0).get("request").asText()).endsWith("complained-about");
    assertThat(ok("GET", "/admin/v1/complaints?team_id=" + tk[0], "", MASTER).get("data"))
        .isEmpty();
    assertThat(
            ok("GET", "/admin/v1/complaints?status=upheld&team_id=" + tk[0], "", MASTER)
                .get("data"))
        .hasSize(1);
    assertThat(call("GET", "/admin/v1/complaints?status=nope", "", MASTER).status()).isEqualTo(400);

    var trail = new ArrayList<String>();
    ok("GET", "/admin/v1/audit?team_id=" + tk[0], "", MASTER)
        .get("data")
        .forEach(e -> trail.add(e.get("action").asText() + " " + e.get("target").asText()));
    assertThat(trail)
        .contains("complaint.create " + cid, "complaint.update " + cid)
        .filteredOn(s -> s.startsWith("complaint.update"))
        .hasSize(2);
  }

  @Test
  void aComplaintNeedsARequestOfTheCallersOwnTeam() {
    String[] a = teamAndKey("", false);
    String[] b = teamAndKey("", false);
    String idb = chat(b[1], "b's request", false);
    var r =
        call(
            "POST",
            "/v1/complaints",
            "{\"request_id\": \"%s\", \"reason\": \"harmful\"}".formatted(idb),
            a[1]);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().at("/error/code").asText()).isEqualTo("request_not_found");
    assertThat(
            call("POST", "/v1/complaints", "{\"request_id\": \"nope\", \"reason\": \"x\"}", b[1])
                .status())
        .isEqualTo(404);
    var missing = call("POST", "/v1/complaints", "{\"request_id\": \"%s\"}".formatted(idb), b[1]);
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().at("/error/param").asText()).isEqualTo("reason");
    assertThat(shelf.post("/v1/complaints", "{\"request_id\": \"x\", \"reason\": \"x\"}").status())
        .isEqualTo(401);
  }

  @Test
  void teamAdminsHandleOnlyTheirOwnTeamsComplaints() {
    String[] a = teamAndKey("", true);
    String[] b = teamAndKey("", true);
    String ca = complain(a[1], chat(a[1], "a", false));
    String cb = complain(b[1], chat(b[1], "b", false));

    JsonNode seen = ok("GET", "/admin/v1/complaints?status=all", "", a[1]).get("data");
    assertThat(seen).extracting(n -> n.get("id").asText()).contains(ca).doesNotContain(cb);
    assertThat(call("GET", "/admin/v1/complaints/" + cb, "", a[1]).status()).isEqualTo(404);
    assertThat(
            call("PATCH", "/admin/v1/complaints/" + cb, "{\"status\": \"dismissed\"}", a[1])
                .status())
        .isEqualTo(404);
    assertThat(call("GET", "/admin/v1/complaints?team_id=" + b[0], "", a[1]).status())
        .isEqualTo(404);
    JsonNode handled =
        ok("PATCH", "/admin/v1/complaints/" + ca, "{\"status\": \"dismissed\"}", a[1]);
    assertThat(handled.get("status").asText()).isEqualTo("dismissed");
    assertThat(ok("GET", "/admin/v1/complaints/" + cb, "", MASTER).get("status").asText())
        .isEqualTo("open");
    String[] plain = teamAndKey("", false);
    assertThat(call("GET", "/admin/v1/complaints", "", plain[1]).status()).isEqualTo(403);
  }
}

package dev.shelf.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.shelf.api.Json;
import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.audit.AuditStore;
import dev.shelf.gateway.audit.ContentAudit;
import dev.shelf.gateway.audit.PolicyHit;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jspecify.annotations.Nullable;

/**
 * The content audit over JDBI, the same SQL on SQLite and PostgreSQL. A batch is one JDBC batch in
 * one transaction; nobody waits for it (see {@link dev.shelf.gateway.audit.AuditWriter}), so the
 * ledger's PostgreSQL array insert is not needed here. Policy hits are a JSON array in a text
 * column: they are read with their record, never queried by.
 */
public final class JdbiContentAudit implements AuditStore {
  private static final String COLUMNS =
      "request_id, team_id, key_id, endpoint, model, mode, request_text, response_text, status,"
          + " policy_hits, created_ms";

  private final Jdbi jdbi;

  public JdbiContentAudit(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public void append(List<ContentAudit> records) {
    if (records.isEmpty()) {
      return;
    }
    jdbi.useTransaction(
        h -> {
          PreparedBatch b =
              h.prepareBatch(
                  "INSERT INTO content_audit ("
                      + COLUMNS
                      + ") VALUES (:request_id, :team_id, :key_id, :endpoint, :model, :mode,"
                      + " :request_text, :response_text, :status, :policy_hits, :created_ms)");
          for (ContentAudit r : records) {
            b.bind("request_id", r.requestId())
                .bind("team_id", r.teamId())
                .bind("key_id", r.keyId())
                .bind("endpoint", r.endpoint())
                .bind("model", r.model())
                .bind("mode", r.mode().wire())
                .bind("request_text", r.request())
                .bind("response_text", r.response())
                .bind("status", r.status())
                .bind("policy_hits", hits(r.policyHits()))
                .bind("created_ms", r.createdMs())
                .add();
          }
          b.execute();
        });
  }

  @Override
  public int purge(long beforeMs) {
    return jdbi.withHandle(
        h ->
            h.createUpdate("DELETE FROM content_audit WHERE created_ms < :before")
                .bind("before", beforeMs)
                .execute());
  }

  @Override
  public List<ContentAudit> records(
      @Nullable String teamId, @Nullable String requestId, long beforeId, int limit) {
    var where = new ArrayList<String>();
    if (teamId != null) {
      where.add("team_id = :team");
    }
    if (requestId != null) {
      where.add("request_id = :request");
    }
    if (beforeId > 0) {
      where.add("id < :before");
    }
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT id, "
                        + COLUMNS
                        + " FROM content_audit"
                        + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                        + " ORDER BY id DESC LIMIT :limit")
                .bind("team", teamId)
                .bind("request", requestId)
                .bind("before", beforeId)
                .bind("limit", limit)
                .map((rs, ctx) -> row(rs))
                .list());
  }

  private static ContentAudit row(ResultSet rs) throws SQLException {
    return new ContentAudit(
        rs.getLong("id"),
        rs.getString("request_id"),
        rs.getString("team_id"),
        rs.getString("key_id"),
        rs.getString("endpoint"),
        rs.getString("model"),
        AuditMode.parse(rs.getString("mode")),
        rs.getString("request_text"),
        rs.getString("response_text"),
        rs.getInt("status"),
        hits(rs.getString("policy_hits")),
        rs.getLong("created_ms"));
  }

  static String hits(List<PolicyHit> hits) {
    ArrayNode a = Json.NODES.arrayNode();
    for (PolicyHit h : hits) {
      a.addObject()
          .put("stage", h.stage())
          .put("rule", h.rule())
          .put("category", h.category())
          .put("action", h.action());
    }
    return Json.string(a);
  }

  static List<PolicyHit> hits(@Nullable String json) {
    if (json == null || json.isEmpty()) {
      return List.of();
    }
    var out = new ArrayList<PolicyHit>();
    for (JsonNode h : Json.parse(json.getBytes(StandardCharsets.UTF_8))) {
      out.add(
          new PolicyHit(
              h.path("stage").asText(),
              h.path("rule").asText(),
              h.path("category").asText(),
              h.path("action").asText()));
    }
    return out;
  }

  /** Counts records (tests). */
  public long count() {
    return jdbi.withHandle(
        h -> h.createQuery("SELECT COUNT(*) FROM content_audit").mapTo(Long.class).one());
  }
}

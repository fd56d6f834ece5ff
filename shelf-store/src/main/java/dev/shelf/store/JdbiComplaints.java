package dev.shelf.store;

import dev.shelf.gateway.audit.Complaint;
import dev.shelf.gateway.audit.ComplaintStatus;
import dev.shelf.gateway.audit.ComplaintStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/** Complaints over JDBI, the same SQL on SQLite and PostgreSQL. */
public final class JdbiComplaints implements ComplaintStore {
  private static final String COLUMNS =
      "id, request_id, team_id, key_id, reason, detail, status, resolution, handled_by,"
          + " created_ms, updated_ms";

  private final Jdbi jdbi;

  public JdbiComplaints(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public Complaint create(Complaint c) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO complaints ("
                        + COLUMNS
                        + ") VALUES (:id, :request, :team, :key, :reason, :detail, :status,"
                        + " :resolution, :handled, :created, :updated)")
                .bind("id", c.id())
                .bind("request", c.requestId())
                .bind("team", c.teamId())
                .bind("key", c.keyId())
                .bind("reason", c.reason())
                .bind("detail", c.detail())
                .bind("status", c.status().wire())
                .bind("resolution", c.resolution())
                .bind("handled", c.handledBy())
                .bind("created", c.createdMs())
                .bind("updated", c.updatedMs())
                .execute());
    return c;
  }

  @Override
  public Optional<Complaint> complaint(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT " + COLUMNS + " FROM complaints WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> row(rs))
                .findOne());
  }

  @Override
  public List<Complaint> complaints(
      @Nullable String teamId, Set<ComplaintStatus> statuses, int limit) {
    var where = new ArrayList<String>();
    if (teamId != null) {
      where.add("team_id = :team");
    }
    var wires = new ArrayList<String>();
    statuses.stream().sorted().forEach(s -> wires.add(s.wire()));
    if (!wires.isEmpty()) {
      where.add("status IN (<statuses>)");
    }
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM complaints"
            + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
            + " ORDER BY created_ms, id LIMIT :limit";
    return jdbi.withHandle(
        h -> {
          var q = h.createQuery(sql).bind("team", teamId).bind("limit", limit);
          if (!wires.isEmpty()) {
            q.bindList("statuses", wires);
          }
          return q.map((rs, ctx) -> row(rs)).list();
        });
  }

  @Override
  public Optional<Complaint> update(
      String id,
      ComplaintStatus from,
      ComplaintStatus to,
      @Nullable String resolution,
      String handledBy,
      long nowMs) {
    return jdbi.inTransaction(
        h -> {
          int n =
              h.createUpdate(
                      "UPDATE complaints SET status = :to, resolution = :resolution, handled_by ="
                          + " :by, updated_ms = :now WHERE id = :id AND status = :from")
                  .bind("to", to.wire())
                  .bind("resolution", resolution)
                  .bind("by", handledBy)
                  .bind("now", nowMs)
                  .bind("id", id)
                  .bind("from", from.wire())
                  .execute();
          if (n == 0) {
            return Optional.<Complaint>empty();
          }
          return h.createQuery("SELECT " + COLUMNS + " FROM complaints WHERE id = :id")
              .bind("id", id)
              .map((rs, ctx) -> row(rs))
              .findOne();
        });
  }

  @Override
  public boolean knownRequest(String teamId, String requestId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                        "SELECT (SELECT COUNT(*) FROM usage_records WHERE request_id = :r AND team_id"
                            + " = :t) + (SELECT COUNT(*) FROM content_audit WHERE request_id = :r AND"
                            + " team_id = :t)")
                    .bind("r", requestId)
                    .bind("t", teamId)
                    .mapTo(Long.class)
                    .one()
                > 0);
  }

  private static Complaint row(ResultSet rs) throws SQLException {
    return new Complaint(
        rs.getString("id"),
        rs.getString("request_id"),
        rs.getString("team_id"),
        rs.getString("key_id"),
        rs.getString("reason"),
        rs.getString("detail"),
        ComplaintStatus.parse(rs.getString("status")),
        rs.getString("resolution"),
        rs.getString("handled_by"),
        rs.getLong("created_ms"),
        rs.getLong("updated_ms"));
  }
}

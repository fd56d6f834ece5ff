package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.gateway.audit.AuditStore;
import dev.shelf.gateway.audit.Complaint;
import dev.shelf.gateway.audit.ComplaintStatus;
import dev.shelf.gateway.audit.ComplaintStore;
import dev.shelf.gateway.audit.ContentAudit;
import dev.shelf.gateway.audit.PolicyHit;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.Tenancy;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The content audit and complaints over HTTP.
 *
 * <ul>
 *   <li>{@code POST /v1/complaints}: any valid key reports a response by its request id, which must
 *       be one of its own team's requests (else 404, as for an id that does not exist).
 *   <li>{@code GET /admin/v1/audit/content?team_id=&request_id=&limit=&after=}: audit records,
 *       newest first, paged by {@code after} (the {@code last_id} of the page before).
 *   <li>{@code GET /admin/v1/complaints?status=&team_id=&limit=}: the review queue, oldest first;
 *       {@code status} is a comma-separated list or {@code all}, by default {@code open,reviewing}.
 *   <li>{@code GET /admin/v1/complaints/{id}} (with the request's audit records) and {@code PATCH}
 *       ({@code status}, {@code resolution}), following {@link ComplaintStatus}'s state machine: a
 *       decided complaint answers 409.
 * </ul>
 *
 * The master key sees every team; a team admin only its own (another team's objects answer 404);
 * other keys get 403. Every complaint made or changed is also written to the admin audit trail.
 */
final class AuditApi {
  private static final int MAX_REASON = 100;
  private static final int MAX_DETAIL = 10_000;
  private static final int MAX_RESOLUTION = 10_000;

  private final ShelfServer server;
  private final AuditStore audit;
  private final ComplaintStore complaints;
  private final Tenancy tenancy;

  AuditApi(ShelfServer server, AuditStore audit, ComplaintStore complaints, Tenancy tenancy) {
    this.server = server;
    this.audit = audit;
    this.complaints = complaints;
    this.tenancy = tenancy;
  }

  void routes(HttpRouting.Builder r) {
    r.post("/v1/complaints", (q, s) -> run(q, s, "complaints", this::complain))
        .get("/admin/v1/audit/content", (q, s) -> run(q, s, "admin", this::content))
        .get("/admin/v1/complaints", (q, s) -> run(q, s, "admin", this::queue))
        .get("/admin/v1/complaints/{id}", (q, s) -> run(q, s, "admin", this::show))
        .patch("/admin/v1/complaints/{id}", (q, s) -> run(q, s, "admin", this::handle));
  }

  @FunctionalInterface
  private interface Handler {
    void handle(ServerRequest req, ServerResponse res, Principal who);
  }

  private void run(ServerRequest req, ServerResponse res, String endpoint, Handler h) {
    server.serve(req, res, endpoint, Http::error, (ex, who) -> h.handle(req, res, who));
  }

  // ---- complaints ----

  private void complain(ServerRequest req, ServerResponse res, Principal who) {
    JsonNode b = AdminApi.body(req);
    String requestId = bounded(b, "request_id", 128, true);
    String reason = bounded(b, "reason", MAX_REASON, true);
    String detail = bounded(b, "detail", MAX_DETAIL, false);
    if (!complaints.knownRequest(who.teamId(), requestId)) {
      throw ApiException.notFound(
          "request_not_found", "No request `" + requestId + "` was served to this key's team.");
    }
    long now = System.currentTimeMillis();
    var c =
        complaints.create(
            new Complaint(
                KeySecrets.newId("cmp"),
                requestId,
                who.teamId(),
                who.keyId(),
                reason,
                detail,
                ComplaintStatus.OPEN,
                null,
                null,
                now,
                now));
    ObjectNode logged = Json.object().put("request_id", requestId).put("reason", reason);
    tenancy.audit(who.keyId(), who.teamId(), "complaint.create", c.id(), Json.string(logged));
    Http.json(res, 201, Json.bytes(view(c)));
  }

  private void queue(ServerRequest req, ServerResponse res, Principal who) {
    String team = scope(req, who);
    Set<ComplaintStatus> statuses = statuses(AdminApi.query(req, "status"));
    var out = new ArrayList<ObjectNode>();
    complaints.complaints(team, statuses, limit(req, 500)).forEach(c -> out.add(view(c)));
    Http.json(res, 200, Json.bytes(AdminViews.list(out)));
  }

  private void show(ServerRequest req, ServerResponse res, Principal who) {
    Complaint c = visible(who, AdminApi.param(req, "id"));
    ObjectNode o = view(c);
    ArrayNode records = o.putArray("audit");
    audit.records(c.teamId(), c.requestId(), 0, 20).forEach(r -> records.add(view(r)));
    Http.json(res, 200, Json.bytes(o));
  }

  private void handle(ServerRequest req, ServerResponse res, Principal who) {
    Complaint c = visible(who, AdminApi.param(req, "id"));
    JsonNode b = AdminApi.body(req);
    if (!b.has("status") && !b.has("resolution")) {
      throw ApiException.invalid(null, "Give a status, a resolution or both.");
    }
    ComplaintStatus to = c.status();
    String s = AdminViews.str(b, "status");
    if (s != null) {
      try {
        to = ComplaintStatus.parse(s);
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("status", "status " + e.getMessage());
      }
    }
    String resolution =
        b.has("resolution") ? nullableBounded(b, "resolution", MAX_RESOLUTION) : c.resolution();
    if (!c.status().mayMoveTo(to)) {
      throw transition(c, to);
    }
    Complaint updated =
        complaints
            .update(c.id(), c.status(), to, resolution, who.keyId(), System.currentTimeMillis())
            .orElseThrow(
                () ->
                    new ApiException(
                        409,
                        "invalid_request_error",
                        "conflict",
                        "status",
                        "Complaint " + c.id() + " changed meanwhile; read it again.",
                        null));
    ObjectNode logged =
        Json.object()
            .put("from", c.status().wire())
            .put("status", updated.status().wire())
            .put("resolution", updated.resolution());
    tenancy.audit(who.keyId(), c.teamId(), "complaint.update", c.id(), Json.string(logged));
    Http.json(res, 200, Json.bytes(view(updated)));
  }

  private static ApiException transition(Complaint c, ComplaintStatus to) {
    return new ApiException(
        409,
        "invalid_request_error",
        "invalid_transition",
        "status",
        "Complaint "
            + c.id()
            + " is "
            + c.status().wire()
            + ", a final decision; it cannot become "
            + to.wire()
            + ".",
        null);
  }

  private Complaint visible(Principal who, String id) {
    AdminApi.requireAdmin(who);
    return complaints
        .complaint(id)
        .filter(c -> who.administers(c.teamId()))
        .orElseThrow(
            () -> ApiException.notFound("complaint_not_found", "No complaint `" + id + "`."));
  }

  // ---- content audit ----

  private void content(ServerRequest req, ServerResponse res, Principal who) {
    String team = scope(req, who);
    String requestId = AdminApi.query(req, "request_id");
    String after = AdminApi.query(req, "after");
    long before = 0;
    if (after != null) {
      try {
        before = Long.parseLong(after);
      } catch (NumberFormatException e) {
        before = -1;
      }
      if (before < 1) {
        throw ApiException.invalid(
            "after", "after must be the last_id of a previous page but was " + after);
      }
    }
    int limit = limit(req, 100);
    List<ContentAudit> rows = audit.records(team, requestId, before, limit + 1);
    boolean more = rows.size() > limit;
    var out = new ArrayList<ObjectNode>();
    rows.stream().limit(limit).forEach(r -> out.add(view(r)));
    ObjectNode o = AdminViews.list(out);
    o.put("has_more", more);
    if (out.isEmpty()) {
      o.putNull("last_id");
    } else {
      o.put("last_id", out.getLast().get("id").asText());
    }
    Http.json(res, 200, Json.bytes(o));
  }

  // ---- helpers ----

  /** The team an admin listing covers: any or the one asked (master), else the admin's own. */
  private static @Nullable String scope(ServerRequest req, Principal who) {
    AdminApi.requireAdmin(who);
    String team = AdminApi.query(req, "team_id");
    if (team == null) {
      team = AdminApi.query(req, "team");
    }
    if (who.master()) {
      return team;
    }
    if (team != null && !team.equals(who.teamId())) {
      throw ApiException.notFound("team_not_found", "No team `" + team + "`.");
    }
    return who.teamId();
  }

  private static int limit(ServerRequest req, int dflt) {
    String v = AdminApi.query(req, "limit");
    if (v == null) {
      return dflt;
    }
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > 1000) {
      throw ApiException.invalid("limit", "limit must be between 1 and 1000 but was " + v);
    }
    return n;
  }

  static Set<ComplaintStatus> statuses(@Nullable String v) {
    if (v == null) {
      return EnumSet.of(ComplaintStatus.OPEN, ComplaintStatus.REVIEWING);
    }
    if (v.equals("all")) {
      return EnumSet.noneOf(ComplaintStatus.class);
    }
    var out = EnumSet.noneOf(ComplaintStatus.class);
    for (String s : v.split(",", -1)) {
      try {
        out.add(ComplaintStatus.parse(s.trim()));
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("status", "status " + e.getMessage() + " (or all)");
      }
    }
    return out;
  }

  private static String bounded(JsonNode b, String field, int max, boolean required) {
    String v = required ? AdminViews.reqStr(b, field) : AdminViews.str(b, field);
    if (v == null) {
      return "";
    }
    if (v.length() > max) {
      throw ApiException.invalid(
          field, field + " must be at most " + max + " characters but was " + v.length());
    }
    return v;
  }

  private static @Nullable String nullableBounded(JsonNode b, String field, int max) {
    return AdminViews.str(b, field) == null ? null : bounded(b, field, max, false);
  }

  static ObjectNode view(Complaint c) {
    ObjectNode o = Json.object();
    o.put("object", "complaint");
    o.put("id", c.id());
    o.put("request_id", c.requestId());
    o.put("team_id", c.teamId());
    o.put("key_id", c.keyId());
    o.put("reason", c.reason());
    o.put("detail", c.detail());
    o.put("status", c.status().wire());
    o.put("resolution", c.resolution());
    o.put("handled_by", c.handledBy());
    o.put("created_at", c.createdMs() / 1000);
    o.put("updated_at", c.updatedMs() / 1000);
    o.put("created_at_ms", c.createdMs());
    o.put("updated_at_ms", c.updatedMs());
    return o;
  }

  static ObjectNode view(ContentAudit r) {
    ObjectNode o = Json.object();
    o.put("object", "audit.content");
    o.put("id", Long.toString(r.id()));
    o.put("request_id", r.requestId());
    o.put("team_id", r.teamId());
    o.put("key_id", r.keyId());
    o.put("endpoint", r.endpoint());
    o.put("model", r.model());
    o.put("mode", r.mode().wire());
    o.put("request", r.request());
    o.put("response", r.response());
    o.put("status", r.status());
    ArrayNode hits = o.putArray("policy_hits");
    for (PolicyHit h : r.policyHits()) {
      hits.addObject()
          .put("stage", h.stage())
          .put("rule", h.rule())
          .put("category", h.category())
          .put("action", h.action());
    }
    o.put("created_at", r.createdMs() / 1000);
    return o;
  }
}

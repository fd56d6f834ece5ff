package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.Shelf;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.config.StoredConfig;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.metering.Pricing;
import dev.shelf.gateway.metering.UsageQuery;
import dev.shelf.gateway.metering.UsageRow;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.gateway.tenancy.Tenancy;
import dev.shelf.gateway.tenancy.TenancyStore;
import dev.shelf.gateway.tenancy.User;
import dev.shelf.providers.spi.ResidentModel;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The admin API under {@code /admin/v1}: teams, users, keys, credits, usage reports and the audit
 * trail.
 *
 * <p>Who may do what: the master key everything; a team's admin key its own team's users, keys and
 * usage (it cannot change its team's limits, create teams, mint credit or make admin keys); any
 * other key only its own usage. Another team's objects answer 404 exactly as missing ones do, so a
 * key cannot even learn which ids exist elsewhere. Every change is written to the audit log with
 * the acting key.
 */
final class AdminApi {
  private static final int MAX_CODES = 1_000;

  private final ShelfServer server;
  private final TenancyStore store;
  private final Tenancy tenancy;
  private final Accounts accounts;
  private final String currency;
  private final Keys keys;
  private final ShelfRuntime runtime;

  AdminApi(
      ShelfServer server, ShelfRuntime runtime, Accounts accounts, Pricing pricing, Keys keys) {
    this.server = server;
    this.runtime = runtime;
    this.accounts = accounts;
    this.store = accounts.store();
    this.tenancy = new Tenancy(store);
    this.currency = pricing.currency();
    this.keys = keys;
  }

  void routes(HttpRouting.Builder r) {
    r.get("/admin/v1/teams", (q, s) -> run(q, s, this::listTeams))
        .post("/admin/v1/teams", (q, s) -> run(q, s, this::createTeam))
        .get("/admin/v1/teams/{id}", (q, s) -> run(q, s, this::getTeam))
        .patch("/admin/v1/teams/{id}", (q, s) -> run(q, s, this::updateTeam))
        .delete("/admin/v1/teams/{id}", (q, s) -> run(q, s, this::deleteTeam))
        .get("/admin/v1/teams/{id}/users", (q, s) -> run(q, s, this::listUsers))
        .post("/admin/v1/teams/{id}/users", (q, s) -> run(q, s, this::createUser))
        .delete("/admin/v1/teams/{id}/users/{user}", (q, s) -> run(q, s, this::deleteUser))
        .post("/admin/v1/teams/{id}/credits", (q, s) -> run(q, s, this::addCredit))
        .get("/admin/v1/keys", (q, s) -> run(q, s, this::listKeys))
        .post("/admin/v1/keys", (q, s) -> run(q, s, this::createKey))
        .get("/admin/v1/keys/{id}", (q, s) -> run(q, s, this::getKey))
        .patch("/admin/v1/keys/{id}", (q, s) -> run(q, s, this::updateKey))
        .post("/admin/v1/keys/{id}/revoke", (q, s) -> run(q, s, this::revokeKey))
        .post("/admin/v1/keys/{id}/unsuspend", (q, s) -> run(q, s, this::unsuspendKey))
        .delete("/admin/v1/keys/{id}", (q, s) -> run(q, s, this::revokeKey))
        .post("/admin/v1/redemption-codes", (q, s) -> run(q, s, this::createCodes))
        .post("/admin/v1/redeem", (q, s) -> run(q, s, this::redeem))
        .get("/admin/v1/usage", (q, s) -> run(q, s, this::usage))
        .get("/admin/v1/usage/records", (q, s) -> run(q, s, this::records))
        .get("/admin/v1/audit", (q, s) -> run(q, s, this::audit))
        .get("/admin/v1/providers", (q, s) -> run(q, s, this::listStored))
        .put("/admin/v1/providers/*", (q, s) -> run(q, s, this::putStored))
        .delete("/admin/v1/providers/*", (q, s) -> run(q, s, this::deleteStored))
        .get("/admin/v1/models", (q, s) -> run(q, s, this::listStored))
        .put("/admin/v1/models/*", (q, s) -> run(q, s, this::putStored))
        .delete("/admin/v1/models/*", (q, s) -> run(q, s, this::deleteStored))
        .get("/admin/v1/loaded", (q, s) -> run(q, s, this::loaded))
        .get("/admin/v1/health", (q, s) -> run(q, s, this::health));
    var contentAudit = accounts.audit();
    var complaints = accounts.complaints();
    if (contentAudit != null && complaints != null) {
      new AuditApi(server, contentAudit, complaints, tenancy).routes(r);
    }
  }

  // ---- health in detail ----

  /**
   * What {@code /health} gives, with the names of the deployments still loading or failed and the
   * config error, which the public {@code /health} keeps to counts. Its {@code in_flight} leaves
   * out this request, which counts among them as any API request does.
   */
  private void health(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    Http.json(res, 200, server.health(true, true, 1).body());
  }

  // ---- models held in memory ----

  /**
   * The models each provider holds in this node's memory now (the local engine's loaded files),
   * with the public ids that reach them, what they take and whether they are answering.
   */
  private void loaded(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    Shelf shelf = runtime.shelf();
    var out = new ArrayList<ObjectNode>();
    for (var p : new java.util.TreeMap<>(shelf.providers()).entrySet()) {
      for (ResidentModel m : p.getValue().resident()) {
        ObjectNode o = Json.object();
        o.put("provider", p.getKey());
        o.put("upstream", m.model());
        var ids = o.putArray("models");
        for (ModelSpec spec : shelf.config().models()) {
          if (spec.provider().equals(p.getKey()) && spec.upstream().equals(m.model())) {
            ids.add(spec.id());
          }
        }
        o.put("bytes", m.bytes());
        o.put("requests", m.requests());
        o.put("idle_seconds", m.idle().toMillis() / 1000.0);
        out.add(o);
      }
    }
    ok(res, AdminViews.list(out));
  }

  // ---- stored providers and models ----

  /** {@code provider} or {@code model}, from the path. */
  private static String kind(ServerRequest req) {
    return req.path().path().startsWith("/admin/v1/providers")
        ? StoredConfig.PROVIDER
        : StoredConfig.MODEL;
  }

  private static String storedName(ServerRequest req, String kind) {
    String prefix =
        StoredConfig.PROVIDER.equals(kind) ? "/admin/v1/providers/" : "/admin/v1/models/";
    String name =
        java.net.URLDecoder.decode(
            req.path().path().substring(prefix.length()), StandardCharsets.UTF_8);
    if (name.isEmpty()) {
      throw ApiException.invalid(null, "The path must end with the " + kind + "'s name.");
    }
    return name;
  }

  private StoredConfig stored(Principal who) {
    requireMaster(who);
    StoredConfig c = accounts.config();
    if (c == null) {
      throw ApiException.notFound(
          "stored_config_disabled", "This node keeps no stored configuration (no secret key).");
    }
    return c;
  }

  private void listStored(ServerRequest req, ServerResponse res, Principal who) {
    StoredConfig c = stored(who);
    String kind = kind(req);
    var out = new ArrayList<ObjectNode>();
    for (StoredConfig.Entry e : c.entries()) {
      if (e.kind().equals(kind)) {
        ObjectNode o = e.body().deepCopy();
        o.put(StoredConfig.PROVIDER.equals(kind) ? "name" : "id", e.name());
        if (StoredConfig.PROVIDER.equals(kind)) {
          o.put("api_key", e.secret() == null ? null : "(set, encrypted)");
        }
        o.put("updated_at", e.updatedMs() / 1000);
        out.add(o);
      }
    }
    ok(res, AdminViews.list(out));
  }

  private void putStored(ServerRequest req, ServerResponse res, Principal who) {
    StoredConfig c = stored(who);
    String kind = kind(req);
    String name = storedName(req, kind);
    ObjectNode body = (ObjectNode) body(req);
    body.remove(StoredConfig.PROVIDER.equals(kind) ? "name" : "id");
    List<StoredConfig.Entry> entries = c.entries();
    StoredConfig.Entry previous =
        entries.stream()
            .filter(e -> e.kind().equals(kind) && e.name().equals(name))
            .findFirst()
            .orElse(null);
    StoredConfig.Entry sealed = c.seal(kind, name, body, previous);
    apply(c, StoredConfig.with(entries, kind, name, sealed));
    c.put(sealed);
    runtime.reload();
    ObjectNode shown = sealed.body().deepCopy();
    audit(who, null, kind + ".put", name, shown); // the sealed key never reaches the audit log
    json(res, previous == null ? 201 : 200, shown.put("name", name));
  }

  private void deleteStored(ServerRequest req, ServerResponse res, Principal who) {
    StoredConfig c = stored(who);
    String kind = kind(req);
    String name = storedName(req, kind);
    apply(c, StoredConfig.with(c.entries(), kind, name, null));
    if (!c.delete(kind, name)) {
      throw ApiException.notFound(kind + "_not_found", "No stored " + kind + " `" + name + "`.");
    }
    runtime.reload();
    audit(who, null, kind + ".delete", name, Json.object());
    ok(res, deleted(name, kind));
  }

  /** Checks the configuration the change would make; a 400 naming the problem if it is invalid. */
  private void apply(StoredConfig c, List<StoredConfig.Entry> next) {
    String error = runtime.check(c.document(next));
    if (error != null) {
      throw ApiException.invalid(null, "invalid_config", error);
    }
  }

  @FunctionalInterface
  private interface Handler {
    void handle(ServerRequest req, ServerResponse res, Principal who);
  }

  private void run(ServerRequest req, ServerResponse res, Handler h) {
    server.serve(req, res, "admin", Http::error, (ex, who) -> h.handle(req, res, who));
  }

  // ---- teams ----

  private void listTeams(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    var out = new ArrayList<ObjectNode>();
    for (Team t : store.teams()) {
      if (who.administers(t.id())) {
        out.add(teamView(t));
      }
    }
    ok(res, AdminViews.list(out));
  }

  private void createTeam(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    JsonNode b = body(req);
    Team t;
    try {
      t =
          tenancy.createTeam(
              who.keyId(),
              AdminViews.reqStr(b, "name"),
              AdminViews.strings(b, "models"),
              AdminViews.limits(b, Limits.NONE),
              AdminViews.budget(b, null),
              b.has("prepaid") && b.get("prepaid").asBoolean(),
              Json.string(b));
    } catch (IllegalStateException e) {
      throw conflict(String.valueOf(e.getMessage()));
    }
    if (b.has("audit")) {
      t = store.updateTeam(t.withAudit(AdminViews.auditMode(b)));
    }
    json(res, 201, teamView(t));
  }

  private void getTeam(ServerRequest req, ServerResponse res, Principal who) {
    ok(res, teamView(visibleTeam(who, param(req, "id"))));
  }

  private void updateTeam(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    Team t = visibleTeam(who, param(req, "id"));
    JsonNode b = body(req);
    var updated =
        new Team(
            t.id(),
            b.has("name") ? AdminViews.reqStr(b, "name") : t.name(),
            b.has("models") ? AdminViews.strings(b, "models") : t.models(),
            AdminViews.limits(b, t.limits()),
            AdminViews.budget(b, t.budget()),
            b.has("prepaid")
                ? (b.get("prepaid").asBoolean()
                    ? (t.creditNanos() == null ? Long.valueOf(0L) : t.creditNanos())
                    : null)
                : t.creditNanos(),
            t.createdMs(),
            b.has("audit") ? AdminViews.auditMode(b) : t.audit());
    store.updateTeam(updated);
    changed(who, t.id(), "team.update", t.id(), b);
    ok(res, teamView(updated));
  }

  private void deleteTeam(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    Team t = visibleTeam(who, param(req, "id"));
    try {
      store.deleteTeam(t.id());
    } catch (IllegalStateException e) {
      throw conflict(String.valueOf(e.getMessage()));
    }
    changed(who, t.id(), "team.delete", t.id(), Json.object());
    ok(res, deleted(t.id(), "team"));
  }

  // ---- users ----

  private void listUsers(ServerRequest req, ServerResponse res, Principal who) {
    Team t = visibleTeam(who, param(req, "id"));
    var out = new ArrayList<ObjectNode>();
    store.users(t.id()).forEach(u -> out.add(AdminViews.user(u)));
    ok(res, AdminViews.list(out));
  }

  private void createUser(ServerRequest req, ServerResponse res, Principal who) {
    Team t = visibleTeam(who, param(req, "id"));
    JsonNode b = body(req);
    String email = AdminViews.reqStr(b, "email");
    var u =
        new User(
            KeySecrets.newId("user"),
            t.id(),
            email,
            AdminViews.str(b, "name") == null ? email : AdminViews.reqStr(b, "name"),
            System.currentTimeMillis());
    try {
      store.createUser(u);
    } catch (RuntimeException e) {
      throw conflict("a user with email `" + email + "` exists already");
    }
    audit(who, t.id(), "user.create", u.id(), b);
    json(res, 201, AdminViews.user(u));
  }

  private void deleteUser(ServerRequest req, ServerResponse res, Principal who) {
    Team t = visibleTeam(who, param(req, "id"));
    String id = param(req, "user");
    if (!store.deleteUser(t.id(), id)) {
      throw ApiException.notFound("user_not_found", "No user `" + id + "` in this team.");
    }
    changed(who, t.id(), "user.delete", id, Json.object());
    ok(res, deleted(id, "user"));
  }

  // ---- keys ----

  private void listKeys(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    String team = query(req, "team_id");
    List<ApiKey> ks;
    if (who.master()) {
      ks = store.keys(team);
    } else {
      if (team != null && !team.equals(who.teamId())) {
        throw teamNotFound(team);
      }
      ks = store.keys(who.teamId());
    }
    var out = new ArrayList<ObjectNode>();
    ks.forEach(k -> out.add(AdminViews.key(k, currency)));
    ok(res, AdminViews.list(out));
  }

  private void createKey(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    JsonNode b = body(req);
    String teamId = AdminViews.str(b, "team_id");
    if (teamId == null) {
      if (who.master()) {
        throw ApiException.invalid("team_id", "team_id is required");
      }
      teamId = who.teamId();
    }
    Team t = visibleTeam(who, teamId);
    boolean admin = b.has("admin") && b.get("admin").asBoolean();
    if (admin && !who.master()) {
      throw ApiException.forbidden("master_key_required", "Only the master key makes admin keys.");
    }
    String userId = AdminViews.str(b, "user_id");
    if (userId != null && store.users(t.id()).stream().noneMatch(u -> u.id().equals(userId))) {
      throw ApiException.invalid("user_id", "No user `" + userId + "` in this team.");
    }
    var made =
        tenancy.createKey(
            who.keyId(),
            t,
            userId,
            AdminViews.str(b, "name") == null ? "key" : AdminViews.reqStr(b, "name"),
            admin,
            AdminViews.strings(b, "models"),
            AdminViews.limits(b, Limits.NONE),
            AdminViews.budget(b, null),
            expires(b, null, System.currentTimeMillis()),
            Json.string(b));
    ApiKey k = made.key();
    String secret = made.secret();
    ObjectNode o = AdminViews.key(k, currency);
    o.put("key", secret); // shown this once; only the hash is kept
    json(res, 201, o);
  }

  private void getKey(ServerRequest req, ServerResponse res, Principal who) {
    ok(res, AdminViews.key(visibleKey(who, param(req, "id")), currency));
  }

  private void updateKey(ServerRequest req, ServerResponse res, Principal who) {
    ApiKey k = visibleKey(who, param(req, "id"));
    JsonNode b = body(req);
    if (b.has("admin") && !who.master()) {
      throw ApiException.forbidden("master_key_required", "Only the master key makes admin keys.");
    }
    var updated =
        new ApiKey(
            k.id(),
            k.teamId(),
            b.has("user_id") ? AdminViews.str(b, "user_id") : k.userId(),
            b.has("name") ? AdminViews.reqStr(b, "name") : k.name(),
            k.prefix(),
            k.hash(),
            b.has("admin") ? b.get("admin").asBoolean() : k.admin(),
            b.has("models") ? AdminViews.strings(b, "models") : k.models(),
            AdminViews.limits(b, k.limits()),
            AdminViews.budget(b, k.budget()),
            expires(b, k.expiresMs(), System.currentTimeMillis()),
            k.revokedMs(),
            k.createdMs(),
            k.suspendedUntilMs());
    store.updateKey(updated);
    changed(who, k.teamId(), "key.update", k.id(), b);
    ok(res, AdminViews.key(updated, currency));
  }

  private void revokeKey(ServerRequest req, ServerResponse res, Principal who) {
    ApiKey revoked = tenancy.revokeKey(who.keyId(), visibleKey(who, param(req, "id")));
    keys.invalidate();
    ok(res, AdminViews.key(revoked, currency));
  }

  private void unsuspendKey(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    ApiKey k = tenancy.suspendKey(who.keyId(), visibleKey(who, param(req, "id")), null, "{}");
    keys.invalidate();
    ok(res, AdminViews.key(k, currency));
  }

  private static @Nullable Long expires(JsonNode b, @Nullable Long current, long now) {
    if (b.has("expires_in_days")) {
      Integer days = AdminViews.positive(b, "expires_in_days");
      return days == null ? null : now + days * 86_400_000L;
    }
    if (b.has("expires_at")) {
      JsonNode v = b.get("expires_at");
      if (v.isNull()) {
        return null;
      }
      if (!v.isIntegralNumber()) {
        throw ApiException.invalid("expires_at", "expires_at must be a Unix time in seconds");
      }
      return v.asLong() * 1000;
    }
    return current;
  }

  // ---- credits ----

  private void addCredit(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    Team t = visibleTeam(who, param(req, "id"));
    if (t.creditNanos() == null) {
      throw conflict("team `" + t.name() + "` is not prepaid; set prepaid: true first");
    }
    JsonNode b = body(req);
    long amount = AdminViews.money(b, "amount", "amount");
    String note = AdminViews.str(b, "note");
    long total = store.addCredit(t.id(), amount, "topup", note == null ? "" : note);
    changed(who, t.id(), "credit.add", t.id(), b);
    ok(
        res,
        teamView(store.team(t.id()).orElseThrow())
            .put("credit", Money.decimal(total).toPlainString()));
  }

  private void createCodes(ServerRequest req, ServerResponse res, Principal who) {
    requireMaster(who);
    JsonNode b = body(req);
    long amount = AdminViews.money(b, "amount", "amount");
    Integer count = AdminViews.positive(b, "count");
    int n = count == null ? 1 : count;
    if (n > MAX_CODES) {
      throw ApiException.invalid("count", "count must be <= " + MAX_CODES + " but was " + n);
    }
    Integer days = AdminViews.positive(b, "expires_in_days");
    Long expires = days == null ? null : System.currentTimeMillis() + days * 86_400_000L;
    var codes = Json.NODES.arrayNode();
    for (int i = 0; i < n; i++) {
      String code = "SHELF-" + KeySecrets.random(20);
      store.createRedemptionCode(KeySecrets.hash(code), amount, expires);
      codes.add(code);
    }
    audit(who, null, "codes.create", n + " codes", b);
    ObjectNode o = Json.object();
    o.put("object", "list");
    o.set("codes", codes);
    o.put("amount", Money.decimal(amount).toPlainString());
    o.put("expires_at", expires == null ? null : expires / 1000);
    json(res, 201, o);
  }

  private void redeem(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    JsonNode b = body(req);
    String code = AdminViews.reqStr(b, "code");
    String teamId = AdminViews.str(b, "team_id");
    Team t = visibleTeam(who, teamId == null ? who.teamId() : teamId);
    if (t.creditNanos() == null) {
      throw conflict("team `" + t.name() + "` is not prepaid");
    }
    var amount = store.redeem(KeySecrets.hash(code.trim()), t.id(), System.currentTimeMillis());
    if (amount.isEmpty()) {
      throw ApiException.notFound(
          "code_not_redeemable", "This code is unknown, used already or expired.");
    }
    changed(who, t.id(), "codes.redeem", t.id(), Json.object());
    ObjectNode o = teamView(store.team(t.id()).orElseThrow());
    o.put("redeemed", Money.decimal(amount.get()).toPlainString());
    ok(res, o);
  }

  // ---- usage and audit ----

  private void usage(ServerRequest req, ServerResponse res, Principal who) {
    UsageQuery.GroupBy groupBy;
    try {
      String g = query(req, "group_by");
      groupBy = UsageQuery.GroupBy.parse(g == null ? "model" : g);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("group_by", String.valueOf(e.getMessage()));
    }
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    String to = day(req, "to", today);
    String from = day(req, "from", LocalDate.parse(to).minusDays(29).toString());
    String team = query(req, "team_id");
    String key = query(req, "key_id");
    if (!who.master()) {
      if (team != null && !team.equals(who.teamId())) {
        throw teamNotFound(team);
      }
      team = who.teamId();
      if (!who.admin()) {
        key = who.keyId(); // a plain key sees its own usage only
      }
    }
    List<UsageRow> rows = accounts.ledger().report(new UsageQuery(groupBy, from, to, team, key));
    if ("csv".equals(query(req, "format"))) {
      res.header("content-type", "text/csv; charset=utf-8");
      res.header(
          "content-disposition",
          "attachment; filename=\"shelf-usage-" + from + "-" + to + ".csv\"");
      res.send(
          AdminViews.csv(groupBy.name().toLowerCase(java.util.Locale.ROOT), rows, currency)
              .getBytes(StandardCharsets.UTF_8));
      return;
    }
    var out = new ArrayList<ObjectNode>();
    rows.forEach(r -> out.add(AdminViews.row(r, currency)));
    ObjectNode o = AdminViews.list(out);
    o.put("group_by", groupBy.name().toLowerCase(java.util.Locale.ROOT));
    o.put("from", from);
    o.put("to", to);
    ok(res, o);
  }

  private void records(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    String team = who.master() ? query(req, "team_id") : who.teamId();
    String to = day(req, "to", LocalDate.now(ZoneOffset.UTC).toString());
    String from = day(req, "from", to);
    String limitText = query(req, "limit");
    int limit;
    try {
      limit = limitText == null ? 100 : Integer.parseInt(limitText);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > 10_000) {
      throw ApiException.invalid("limit", "limit must be between 1 and 10000");
    }
    long fromMs = LocalDate.parse(from).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    long toMs =
        LocalDate.parse(to).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    var out = new ArrayList<ObjectNode>();
    accounts
        .ledger()
        .records(team, fromMs, toMs, limit)
        .forEach(r -> out.add(AdminViews.record(r, currency)));
    ok(res, AdminViews.list(out));
  }

  private void audit(ServerRequest req, ServerResponse res, Principal who) {
    requireAdmin(who);
    var out = new ArrayList<ObjectNode>();
    store
        .audit(who.master() ? query(req, "team_id") : who.teamId(), 500)
        .forEach(e -> out.add(AdminViews.audit(e)));
    ok(res, AdminViews.list(out));
  }

  // ---- helpers ----

  /** A team as shown, with a prepaid team's balance: what it was credited less what it spent. */
  private ObjectNode teamView(Team t) {
    ObjectNode o = AdminViews.team(t, currency);
    Long credit = t.creditNanos();
    if (credit != null) {
      long spent =
          accounts
              .ledger()
              .spent(dev.shelf.gateway.metering.Ledger.Scope.TEAM, t.id(), 0, Long.MAX_VALUE);
      o.put("balance", Money.decimal(credit - spent).toPlainString());
    }
    return o;
  }

  static void requireAdmin(Principal who) {
    if (!who.admin()) {
      throw ApiException.forbidden(
          "admin_key_required", "This needs the master key or a team admin key.");
    }
  }

  private static void requireMaster(Principal who) {
    if (!who.master()) {
      throw ApiException.forbidden("master_key_required", "This needs the master key.");
    }
  }

  private Team visibleTeam(Principal who, String id) {
    requireAdmin(who);
    if (!who.administers(id)) {
      throw teamNotFound(id);
    }
    return store.team(id).orElseThrow(() -> teamNotFound(id));
  }

  private ApiKey visibleKey(Principal who, String id) {
    requireAdmin(who);
    ApiKey k =
        store
            .key(id)
            .orElseThrow(() -> ApiException.notFound("key_not_found", "No key `" + id + "`."));
    if (!who.administers(k.teamId())) {
      throw ApiException.notFound("key_not_found", "No key `" + id + "`.");
    }
    return k;
  }

  private static ApiException teamNotFound(String id) {
    return ApiException.notFound("team_not_found", "No team `" + id + "`.");
  }

  private static ApiException conflict(String message) {
    return new ApiException(409, "invalid_request_error", "conflict", null, message, null);
  }

  static String param(ServerRequest req, String name) {
    return req.path().pathParameters().get(name);
  }

  static @Nullable String query(ServerRequest req, String name) {
    var q = req.query();
    return q.contains(name) ? q.first(name).get() : null;
  }

  private static String day(ServerRequest req, String name, String dflt) {
    String v = query(req, name);
    if (v == null) {
      return dflt;
    }
    try {
      return LocalDate.parse(v).toString();
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(name, name + " must be a date as YYYY-MM-DD but was " + v);
    }
  }

  static JsonNode body(ServerRequest req) {
    JsonNode b = Json.parse(Http.body(req, 1 << 20));
    if (!b.isObject()) {
      throw ApiException.invalid(null, "The body must be a JSON object.");
    }
    return b;
  }

  /** Audits a change and drops cached keys, so it applies on this node at once. */
  private void changed(
      Principal who, @Nullable String team, String action, String target, JsonNode detail) {
    keys.invalidate();
    audit(who, team, action, target, detail);
  }

  private void audit(
      Principal who, @Nullable String team, String action, String target, JsonNode detail) {
    tenancy.audit(who.keyId(), team, action, target, Json.string(detail));
  }

  private static ObjectNode deleted(String id, String object) {
    ObjectNode o = Json.object();
    o.put("id", id);
    o.put("object", object);
    o.put("deleted", true);
    return o;
  }

  private static void ok(ServerResponse res, ObjectNode o) {
    json(res, 200, o);
  }

  private static void json(ServerResponse res, int status, ObjectNode o) {
    Http.json(res, status, Json.bytes(o));
  }
}

package dev.shelf.store;

import dev.shelf.gateway.audit.AuditMode;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Budget;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.gateway.tenancy.TenancyStore;
import dev.shelf.gateway.tenancy.User;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jspecify.annotations.Nullable;

/** {@link TenancyStore} over JDBI, the same SQL on SQLite and PostgreSQL. */
public final class JdbiTenancyStore implements TenancyStore {
  private static final String TEAM_COLS =
      "id, name, models, rpm, tpm, max_concurrent, budget_nanos, budget_period, credit_nanos,"
          + " created_ms, audit_mode";
  private static final String KEY_COLS =
      "id, team_id, user_id, name, prefix, hash, admin, models, rpm, tpm, max_concurrent,"
          + " budget_nanos, budget_period, expires_ms, revoked_ms, created_ms,"
          + " suspended_until_ms";

  private final Jdbi jdbi;

  public JdbiTenancyStore(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public Team createTeam(Team t) {
    jdbi.useHandle(
        h ->
            teamParams(
                    h.createUpdate(
                        "INSERT INTO teams ("
                            + TEAM_COLS
                            + ", updated_ms) VALUES (:id, :name, :models, :rpm, :tpm, :mc, :bn,"
                            + " :bp, :credit, :created, :audit, :created)"),
                    t)
                .execute());
    return t;
  }

  private static <S extends SqlStatement<S>> S teamParams(S s, Team t) {
    return limitParams(s, t.limits(), t.budget())
        .bind("id", t.id())
        .bind("name", t.name())
        .bind("models", join(t.models()))
        .bind("credit", t.creditNanos())
        .bind("created", t.createdMs())
        .bind("audit", wire(t.audit()));
  }

  private static <S extends SqlStatement<S>> S limitParams(S s, Limits l, @Nullable Budget b) {
    return s.bind("rpm", l.rpm())
        .bind("tpm", l.tpm())
        .bind("mc", l.maxConcurrent())
        .bind("bn", b == null ? null : b.amountNanos())
        .bind("bp", b == null ? null : b.period().wire());
  }

  @Override
  public Optional<Team> team(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT " + TEAM_COLS + " FROM teams WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> team(rs))
                .findOne());
  }

  @Override
  public Optional<Team> teamByName(String name) {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT " + TEAM_COLS + " FROM teams WHERE name = :name")
                .bind("name", name)
                .map((rs, ctx) -> team(rs))
                .findOne());
  }

  @Override
  public List<Team> teams() {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT " + TEAM_COLS + " FROM teams ORDER BY created_ms, id")
                .map((rs, ctx) -> team(rs))
                .list());
  }

  @Override
  public Team updateTeam(Team t) {
    int n =
        jdbi.withHandle(
            h ->
                teamParams(
                        h.createUpdate(
                            "UPDATE teams SET name = :name, models = :models, rpm = :rpm, tpm ="
                                + " :tpm, max_concurrent = :mc, budget_nanos = :bn, budget_period"
                                + " = :bp, credit_nanos = :credit, audit_mode = :audit,"
                                + " updated_ms = :now WHERE id = :id"),
                        t)
                    .bind("now", System.currentTimeMillis())
                    .execute());
    if (n == 0) {
      throw new IllegalArgumentException("no team " + t.id());
    }
    return t;
  }

  @Override
  public boolean deleteTeam(String id) {
    return jdbi.inTransaction(
        h -> {
          long active =
              h.createQuery(
                      "SELECT COUNT(*) FROM api_keys WHERE team_id = :id AND revoked_ms IS NULL")
                  .bind("id", id)
                  .mapTo(Long.class)
                  .one();
          if (active > 0) {
            throw new IllegalStateException(
                "team " + id + " still has " + active + " active keys; revoke them first");
          }
          h.createUpdate("DELETE FROM api_keys WHERE team_id = :id").bind("id", id).execute();
          h.createUpdate("DELETE FROM users WHERE team_id = :id").bind("id", id).execute();
          h.createUpdate("DELETE FROM credit_transactions WHERE team_id = :id")
              .bind("id", id)
              .execute();
          return h.createUpdate("DELETE FROM teams WHERE id = :id").bind("id", id).execute() > 0;
        });
  }

  @Override
  public User createUser(User u) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO users (id, team_id, email, name, created_ms) VALUES (:id, :team,"
                        + " :email, :name, :created)")
                .bind("id", u.id())
                .bind("team", u.teamId())
                .bind("email", u.email())
                .bind("name", u.name())
                .bind("created", u.createdMs())
                .execute());
    return u;
  }

  @Override
  public List<User> users(String teamId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT id, team_id, email, name, created_ms FROM users WHERE team_id = :team"
                        + " ORDER BY created_ms, id")
                .bind("team", teamId)
                .map(
                    (rs, ctx) ->
                        new User(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getLong(5)))
                .list());
  }

  @Override
  public boolean deleteUser(String teamId, String id) {
    return jdbi.inTransaction(
        h -> {
          h.createUpdate("UPDATE api_keys SET user_id = NULL WHERE user_id = :id")
              .bind("id", id)
              .execute();
          return h.createUpdate("DELETE FROM users WHERE id = :id AND team_id = :team")
                  .bind("id", id)
                  .bind("team", teamId)
                  .execute()
              > 0;
        });
  }

  @Override
  public ApiKey createKey(ApiKey k) {
    jdbi.useHandle(
        h ->
            keyParams(
                    h.createUpdate(
                        "INSERT INTO api_keys ("
                            + KEY_COLS
                            + ", updated_ms) VALUES (:id, :team, :user, :name, :prefix, :hash,"
                            + " :admin, :models, :rpm, :tpm, :mc, :bn, :bp, :expires, :revoked,"
                            + " :created, :suspended, :created)"),
                    k)
                .execute());
    return k;
  }

  private static <S extends SqlStatement<S>> S keyParams(S s, ApiKey k) {
    return limitParams(s, k.limits(), k.budget())
        .bind("id", k.id())
        .bind("team", k.teamId())
        .bind("user", k.userId())
        .bind("name", k.name())
        .bind("prefix", k.prefix())
        .bind("hash", k.hash())
        .bind("admin", k.admin() ? 1 : 0)
        .bind("models", join(k.models()))
        .bind("expires", k.expiresMs())
        .bind("revoked", k.revokedMs())
        .bind("created", k.createdMs())
        .bind("suspended", k.suspendedUntilMs());
  }

  @Override
  public Optional<ApiKey> keyByHash(String hash) {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT " + KEY_COLS + " FROM api_keys WHERE hash = :hash")
                .bind("hash", hash)
                .map((rs, ctx) -> key(rs))
                .findOne());
  }

  @Override
  public Optional<ApiKey> key(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT " + KEY_COLS + " FROM api_keys WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> key(rs))
                .findOne());
  }

  @Override
  public List<ApiKey> keys(@Nullable String teamId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT "
                        + KEY_COLS
                        + " FROM api_keys"
                        + (teamId == null ? "" : " WHERE team_id = :team")
                        + " ORDER BY created_ms, id")
                .bind("team", teamId)
                .map((rs, ctx) -> key(rs))
                .list());
  }

  @Override
  public ApiKey updateKey(ApiKey k) {
    int n =
        jdbi.withHandle(
            h ->
                keyParams(
                        h.createUpdate(
                            "UPDATE api_keys SET user_id = :user, name = :name, admin = :admin,"
                                + " models = :models, rpm = :rpm, tpm = :tpm, max_concurrent ="
                                + " :mc, budget_nanos = :bn, budget_period = :bp, expires_ms ="
                                + " :expires, revoked_ms = :revoked, suspended_until_ms = :suspended,"
                                + " updated_ms = :now WHERE id"
                                + " = :id AND team_id = :team"),
                        k)
                    .bind("now", System.currentTimeMillis())
                    .execute());
    if (n == 0) {
      throw new IllegalArgumentException("no key " + k.id() + " in team " + k.teamId());
    }
    return k;
  }

  @Override
  public boolean anyActiveKey() {
    return jdbi.withHandle(
        h ->
            h.createQuery("SELECT COUNT(*) FROM api_keys WHERE revoked_ms IS NULL")
                    .mapTo(Long.class)
                    .one()
                > 0);
  }

  @Override
  public long addCredit(String teamId, long deltaNanos, String kind, String note) {
    return jdbi.inTransaction(h -> credit(h, teamId, deltaNanos, kind, note));
  }

  private static long credit(Handle h, String teamId, long delta, String kind, String note) {
    int n =
        h.createUpdate(
                "UPDATE teams SET credit_nanos = COALESCE(credit_nanos, 0) + :d, updated_ms = :now"
                    + " WHERE id = :id")
            .bind("d", delta)
            .bind("now", System.currentTimeMillis())
            .bind("id", teamId)
            .execute();
    if (n == 0) {
      throw new IllegalArgumentException("no team " + teamId);
    }
    h.createUpdate(
            "INSERT INTO credit_transactions (team_id, at_ms, amount, kind, note) VALUES (:team,"
                + " :at, :amount, :kind, :note)")
        .bind("team", teamId)
        .bind("at", System.currentTimeMillis())
        .bind("amount", delta)
        .bind("kind", kind)
        .bind("note", note)
        .execute();
    return h.createQuery("SELECT credit_nanos FROM teams WHERE id = :id")
        .bind("id", teamId)
        .mapTo(Long.class)
        .one();
  }

  @Override
  public void createRedemptionCode(String codeHash, long amountNanos, @Nullable Long expiresMs) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO redemption_codes (code_hash, amount, expires_ms, created_ms)"
                        + " VALUES (:h, :a, :e, :now)")
                .bind("h", codeHash)
                .bind("a", amountNanos)
                .bind("e", expiresMs)
                .bind("now", System.currentTimeMillis())
                .execute());
  }

  @Override
  public Optional<Long> redeem(String codeHash, String teamId, long nowMs) {
    return jdbi.inTransaction(
        h -> {
          // One conditional update claims the code: of two concurrent redemptions one wins.
          int claimed =
              h.createUpdate(
                      "UPDATE redemption_codes SET redeemed_by = :team, redeemed_ms = :now WHERE"
                          + " code_hash = :h AND redeemed_by IS NULL AND (expires_ms IS NULL OR"
                          + " expires_ms > :now)")
                  .bind("team", teamId)
                  .bind("now", nowMs)
                  .bind("h", codeHash)
                  .execute();
          if (claimed == 0) {
            return Optional.<Long>empty();
          }
          long amount =
              h.createQuery("SELECT amount FROM redemption_codes WHERE code_hash = :h")
                  .bind("h", codeHash)
                  .mapTo(Long.class)
                  .one();
          credit(h, teamId, amount, "redeem", "code " + codeHash.substring(0, 8));
          return Optional.of(amount);
        });
  }

  @Override
  public void audit(AuditEntry e) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO audit_log (at_ms, actor, team_id, action, target, detail) VALUES"
                        + " (:at, :actor, :team, :action, :target, :detail)")
                .bind("at", e.atMs())
                .bind("actor", e.actor())
                .bind("team", e.teamId())
                .bind("action", e.action())
                .bind("target", e.target())
                .bind("detail", e.detail())
                .execute());
  }

  @Override
  public List<AuditEntry> audit(@Nullable String teamId, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT at_ms, actor, team_id, action, target, detail FROM audit_log"
                        + (teamId == null ? "" : " WHERE team_id = :team")
                        + " ORDER BY id DESC LIMIT :limit")
                .bind("team", teamId)
                .bind("limit", limit)
                .map(
                    (rs, ctx) ->
                        new AuditEntry(
                            rs.getLong(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getString(6)))
                .list());
  }

  private static Team team(ResultSet rs) throws SQLException {
    return new Team(
        rs.getString("id"),
        rs.getString("name"),
        split(rs.getString("models")),
        limits(rs),
        budget(rs),
        optLong(rs, "credit_nanos"),
        rs.getLong("created_ms"),
        auditMode(rs.getString("audit_mode")));
  }

  private static @Nullable String wire(@Nullable AuditMode m) {
    return m == null ? null : m.wire();
  }

  private static @Nullable AuditMode auditMode(@Nullable String s) {
    return s == null ? null : AuditMode.parse(s);
  }

  private static ApiKey key(ResultSet rs) throws SQLException {
    return new ApiKey(
        rs.getString("id"),
        rs.getString("team_id"),
        rs.getString("user_id"),
        rs.getString("name"),
        rs.getString("prefix"),
        rs.getString("hash"),
        rs.getInt("admin") != 0,
        split(rs.getString("models")),
        limits(rs),
        budget(rs),
        optLong(rs, "expires_ms"),
        optLong(rs, "revoked_ms"),
        rs.getLong("created_ms"),
        optLong(rs, "suspended_until_ms"));
  }

  private static Limits limits(ResultSet rs) throws SQLException {
    return new Limits(optInt(rs, "rpm"), optInt(rs, "tpm"), optInt(rs, "max_concurrent"));
  }

  private static @Nullable Budget budget(ResultSet rs) throws SQLException {
    Long amount = optLong(rs, "budget_nanos");
    String period = rs.getString("budget_period");
    return amount == null || period == null
        ? null
        : new Budget(amount, Budget.Period.parse(period));
  }

  private static @Nullable Long optLong(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? null : v;
  }

  private static @Nullable Integer optInt(ResultSet rs, String col) throws SQLException {
    int v = rs.getInt(col);
    return rs.wasNull() ? null : v;
  }

  /** Model lists are stored one id per line: ids may hold any character but a newline. */
  private static String join(List<String> models) {
    return String.join("\n", models);
  }

  private static List<String> split(@Nullable String s) {
    return s == null || s.isEmpty() ? List.of() : Arrays.asList(s.split("\n"));
  }
}

package dev.shelf.store;

import dev.shelf.eval.exec.RunOwners;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.run.Measurement;
import dev.shelf.eval.run.Response;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Evaluation runs in the database (migration V3): the spec as JSON, one row per finished item and
 * model, inserted with {@code ON CONFLICT DO NOTHING} (SQLite and PostgreSQL alike) so a finished
 * answer is never replaced. Each save is its own transaction: with SQLite in WAL mode a saved item
 * survives the process being killed right after.
 *
 * <p>Verdicts of LLM judges (migration V7) are inserted the same way, one row per run, judge, kind,
 * model (pair) and item; {@code kind} is stored in lower case.
 *
 * <p>The owners and leases of runs started through the server's API (migration V5) are conditional
 * updates: a lease is taken only where it is free, lapsed or the claimant's own, so two nodes can
 * never both hold it.
 */
public final class JdbiRunStore implements RunStore, RunOwners {
  private final Jdbi jdbi;

  public JdbiRunStore(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public void create(RunSpec spec, int items) {
    if (find(spec.name()) != null) {
      throw new IllegalArgumentException("a run named " + spec.name() + " exists already");
    }
    long now = System.currentTimeMillis();
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO eval_runs (name, spec, items, status, created_ms, updated_ms)"
                        + " VALUES (:name, :spec, :items, :status, :now, :now)")
                .bind("name", spec.name())
                .bind("spec", spec.toJson())
                .bind("items", (long) items)
                .bind("status", RunStatus.RUNNING.name())
                .bind("now", now)
                .execute());
  }

  @Override
  public @Nullable RunInfo find(String name) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT_RUNS + " WHERE r.name = :name")
                .bind("name", name)
                .map((rs, ctx) -> info(rs))
                .findOne()
                .orElse(null));
  }

  @Override
  public List<RunInfo> list() {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT_RUNS + " ORDER BY r.created_ms DESC, r.name")
                .map((rs, ctx) -> info(rs))
                .list());
  }

  private static final String SELECT_RUNS =
      "SELECT r.spec, r.items, r.status, r.created_ms,"
          + " (SELECT COUNT(*) FROM eval_results e WHERE e.run = r.name) FROM eval_runs r";

  private static RunInfo info(ResultSet rs) throws SQLException {
    return new RunInfo(
        RunSpec.fromJson(rs.getString(1)),
        (int) rs.getLong(2),
        RunStatus.valueOf(rs.getString(3)),
        rs.getLong(4),
        rs.getLong(5));
  }

  @Override
  public Map<String, Response> responses(String run, String model) {
    Map<String, Response> out = new LinkedHashMap<>();
    jdbi.useHandle(
        h ->
            h.createQuery(
                    "SELECT item_id, answer, error, latency_ns, ttft_ns, input_tokens,"
                        + " output_tokens, cost FROM eval_results WHERE run = :run AND model ="
                        + " :model ORDER BY finished_ms, item_id")
                .bind("run", run)
                .bind("model", model)
                .map(
                    (rs, ctx) -> {
                      out.put(rs.getString(1), response(rs));
                      return 0;
                    })
                .list());
    return out;
  }

  private static Response response(ResultSet rs) throws SQLException {
    long latency = rs.getLong(4);
    Measurement m = null;
    if (!rs.wasNull()) {
      long ttft = rs.getLong(5);
      boolean noTtft = rs.wasNull();
      String cost = rs.getString(8);
      m =
          new Measurement(
              Duration.ofNanos(latency),
              noTtft ? null : Duration.ofNanos(ttft),
              rs.getLong(6),
              rs.getLong(7),
              cost == null ? BigDecimal.ZERO : new BigDecimal(cost));
    }
    String text = rs.getString(2);
    String error = rs.getString(3);
    return error != null ? Response.failed(error, m) : Response.of(text == null ? "" : text, m);
  }

  @Override
  public void save(String run, String model, String itemId, Response response) {
    Measurement m = response.measurement();
    Duration ttft = m == null ? null : m.timeToFirstToken();
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO eval_results (run, model, item_id, answer, error, latency_ns,"
                        + " ttft_ns, input_tokens, output_tokens, cost, finished_ms) VALUES (:run,"
                        + " :model, :item, :answer, :error, :latency, :ttft, :in, :out, :cost,"
                        + " :now) ON CONFLICT (run, model, item_id) DO NOTHING")
                .bind("run", run)
                .bind("model", model)
                .bind("item", itemId)
                .bind("answer", response.text())
                .bind("error", response.error())
                .bind("latency", m == null ? null : m.latency().toNanos())
                .bind("ttft", ttft == null ? null : ttft.toNanos())
                .bind("in", m == null ? null : m.inputTokens())
                .bind("out", m == null ? null : m.outputTokens())
                .bind("cost", m == null ? null : m.cost().toPlainString())
                .bind("now", System.currentTimeMillis())
                .execute());
  }

  @Override
  public void status(String run, RunStatus status) {
    int n =
        jdbi.withHandle(
            h ->
                h.createUpdate(
                        "UPDATE eval_runs SET status = :status, updated_ms = :now WHERE name ="
                            + " :name")
                    .bind("status", status.name())
                    .bind("now", System.currentTimeMillis())
                    .bind("name", run)
                    .execute());
    if (n == 0) {
      throw new IllegalArgumentException("no run named " + run);
    }
  }

  /** Children first (foreign keys), in one transaction: a run is deleted whole or not at all. */
  @Override
  public boolean delete(String run) {
    return jdbi.inTransaction(
        h -> {
          for (String table :
              List.of("eval_judge_jobs", "eval_judgements", "eval_results", "eval_run_owners")) {
            h.createUpdate("DELETE FROM " + table + " WHERE run = :run").bind("run", run).execute();
          }
          return h.createUpdate("DELETE FROM eval_runs WHERE name = :run")
                  .bind("run", run)
                  .execute()
              == 1;
        });
  }

  // ---- judge verdicts (V7) ----

  @Override
  public void saveJudgement(String run, Judgement j) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO eval_judgements (run, judge, kind, model, other, item_id, score,"
                        + " verdict, raw, judged_ms) VALUES (:run, :judge, :kind, :model, :other,"
                        + " :item, :score, :verdict, :raw, :now) ON CONFLICT (run, judge, kind,"
                        + " model, other, item_id) DO NOTHING")
                .bind("run", run)
                .bind("judge", j.judge())
                .bind("kind", j.kind().name().toLowerCase(Locale.ROOT))
                .bind("model", j.model())
                .bind("other", j.other())
                .bind("item", j.itemId())
                .bind("score", j.score())
                .bind("verdict", j.verdict())
                .bind("raw", j.raw())
                .bind("now", System.currentTimeMillis())
                .execute());
  }

  @Override
  public List<Judgement> judgements(String run) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT judge, kind, model, other, item_id, score, verdict, raw FROM"
                        + " eval_judgements WHERE run = :run ORDER BY judge, kind, model, other,"
                        + " item_id")
                .bind("run", run)
                .map(
                    (rs, ctx) -> {
                      int score = rs.getInt(6);
                      Integer s = rs.wasNull() ? null : score;
                      return new Judgement(
                          rs.getString(1),
                          JudgeKind.valueOf(rs.getString(2).toUpperCase(Locale.ROOT)),
                          rs.getString(3),
                          rs.getString(4),
                          rs.getString(5),
                          s,
                          rs.getString(7),
                          rs.getString(8));
                    })
                .list());
  }

  @Override
  public List<Judgement> judgements(String run, String judge, JudgeKind kind) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT model, other, item_id, score, verdict, raw FROM eval_judgements WHERE"
                        + " run = :run AND judge = :judge AND kind = :kind ORDER BY model, other,"
                        + " item_id")
                .bind("run", run)
                .bind("judge", judge)
                .bind("kind", kind.name().toLowerCase(Locale.ROOT))
                .map(
                    (rs, ctx) -> {
                      int score = rs.getInt(4);
                      Integer s = rs.wasNull() ? null : score;
                      return new Judgement(
                          judge,
                          kind,
                          rs.getString(1),
                          rs.getString(2),
                          rs.getString(3),
                          s,
                          rs.getString(5),
                          rs.getString(6));
                    })
                .list());
  }

  // ---- owners and leases (V5) ----

  @Override
  public void own(String run, String teamId, String keyId, long nowMs) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO eval_run_owners (run, team_id, key_id, created_ms) VALUES (:run,"
                        + " :team, :key, :now)")
                .bind("run", run)
                .bind("team", teamId)
                .bind("key", keyId)
                .bind("now", nowMs)
                .execute());
  }

  private static final String SELECT_OWNERS =
      "SELECT run, team_id, key_id, node, lease_until_ms, cancel_requested, error, created_ms FROM"
          + " eval_run_owners";

  @Override
  public @Nullable Owner owner(String run) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT_OWNERS + " WHERE run = :run")
                .bind("run", run)
                .map((rs, ctx) -> owner(rs))
                .findOne()
                .orElse(null));
  }

  @Override
  public Map<String, Owner> owners(String teamId) {
    Map<String, Owner> out = new LinkedHashMap<>();
    jdbi.useHandle(
        h ->
            h.createQuery(SELECT_OWNERS + " WHERE team_id = :team ORDER BY created_ms DESC, run")
                .bind("team", teamId)
                .map((rs, ctx) -> owner(rs))
                .forEach(o -> out.put(o.run(), o)));
    return out;
  }

  private static Owner owner(ResultSet rs) throws SQLException {
    return new Owner(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getLong(5),
        rs.getInt(6) != 0,
        rs.getString(7),
        rs.getLong(8));
  }

  @Override
  public boolean claim(String run, String node, long untilMs, long nowMs) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "UPDATE eval_run_owners SET node = :node, lease_until_ms = :until, error ="
                            + " NULL WHERE run = :run AND (node IS NULL OR node = :node OR"
                            + " lease_until_ms < :now)")
                    .bind("node", node)
                    .bind("until", untilMs)
                    .bind("run", run)
                    .bind("now", nowMs)
                    .execute())
        == 1;
  }

  @Override
  public boolean renew(String run, String node, long untilMs) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "UPDATE eval_run_owners SET lease_until_ms = :until WHERE run = :run AND"
                            + " node = :node")
                    .bind("until", untilMs)
                    .bind("run", run)
                    .bind("node", node)
                    .execute())
        == 1;
  }

  @Override
  public void release(String run, String node, @Nullable String error) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "UPDATE eval_run_owners SET node = NULL, lease_until_ms = 0, error = :error"
                        + " WHERE run = :run AND node = :node")
                .bind("error", error)
                .bind("run", run)
                .bind("node", node)
                .execute());
  }

  @Override
  public void requestCancel(String run) {
    jdbi.useHandle(
        h ->
            h.createUpdate("UPDATE eval_run_owners SET cancel_requested = 1 WHERE run = :run")
                .bind("run", run)
                .execute());
  }

  @Override
  public List<String> orphans(long nowMs) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT o.run FROM eval_run_owners o JOIN eval_runs r ON r.name = o.run WHERE"
                        + " r.status = :running AND o.cancel_requested = 0 AND (o.node IS NULL OR"
                        + " o.lease_until_ms < :now) ORDER BY o.created_ms, o.run")
                .bind("running", RunStatus.RUNNING.name())
                .bind("now", nowMs)
                .mapTo(String.class)
                .list());
  }
}

package dev.shelf.store;

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
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Evaluation runs in the database (migration V3): the spec as JSON, one row per finished item and
 * model, inserted with {@code ON CONFLICT DO NOTHING} (SQLite and PostgreSQL alike) so a finished
 * answer is never replaced. Each save is its own transaction: with SQLite in WAL mode a saved item
 * survives the process being killed right after.
 */
public final class JdbiRunStore implements RunStore {
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
}

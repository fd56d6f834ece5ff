package dev.shelf.store;

import dev.shelf.eval.exec.JudgeJobs;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Judging jobs of the evaluation API (migration V8). Leases are conditional updates, as for runs in
 * {@link JdbiRunStore}: a lease is taken only where it is free, lapsed or the claimant's own.
 */
public final class JdbiJudgeJobs implements JudgeJobs {
  private final Jdbi jdbi;

  public JdbiJudgeJobs(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public void create(JudgeJob j) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO eval_judge_jobs (id, run, team_id, key_id, judge, kind,"
                        + " concurrency, status, created_ms) VALUES (:id, :run, :team, :key,"
                        + " :judge, :kind, :concurrency, :status, :created)")
                .bind("id", j.id())
                .bind("run", j.run())
                .bind("team", j.teamId())
                .bind("key", j.keyId())
                .bind("judge", j.judge())
                .bind("kind", j.kind().name().toLowerCase(Locale.ROOT))
                .bind("concurrency", j.concurrency())
                .bind("status", j.status().name())
                .bind("created", j.createdMs())
                .execute());
  }

  private static final String SELECT =
      "SELECT id, run, team_id, key_id, judge, kind, concurrency, status, node, lease_until_ms,"
          + " cancel_requested, error, asked, failed, created_ms FROM eval_judge_jobs";

  private static JudgeJob job(ResultSet rs) throws SQLException {
    return new JudgeJob(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        JudgeKind.valueOf(rs.getString(6).toUpperCase(Locale.ROOT)),
        rs.getInt(7),
        RunStatus.valueOf(rs.getString(8)),
        rs.getString(9),
        rs.getLong(10),
        rs.getInt(11) != 0,
        rs.getString(12),
        (int) rs.getLong(13),
        (int) rs.getLong(14),
        rs.getLong(15));
  }

  @Override
  public @Nullable JudgeJob find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT + " WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> job(rs))
                .findOne()
                .orElse(null));
  }

  @Override
  public List<JudgeJob> list(String run) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT + " WHERE run = :run ORDER BY created_ms, id")
                .bind("run", run)
                .map((rs, ctx) -> job(rs))
                .list());
  }

  @Override
  public boolean claim(String id, String node, long untilMs, long nowMs) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "UPDATE eval_judge_jobs SET node = :node, lease_until_ms = :until, error ="
                            + " NULL WHERE id = :id AND (node IS NULL OR node = :node OR"
                            + " lease_until_ms < :now)")
                    .bind("node", node)
                    .bind("until", untilMs)
                    .bind("id", id)
                    .bind("now", nowMs)
                    .execute())
        == 1;
  }

  @Override
  public boolean renew(String id, String node, long untilMs) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "UPDATE eval_judge_jobs SET lease_until_ms = :until WHERE id = :id AND"
                            + " node = :node")
                    .bind("until", untilMs)
                    .bind("id", id)
                    .bind("node", node)
                    .execute())
        == 1;
  }

  @Override
  public void release(String id, String node, @Nullable String error) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "UPDATE eval_judge_jobs SET node = NULL, lease_until_ms = 0, error = :error"
                        + " WHERE id = :id AND node = :node")
                .bind("error", error)
                .bind("id", id)
                .bind("node", node)
                .execute());
  }

  @Override
  public void requestCancel(String id) {
    jdbi.useHandle(
        h ->
            h.createUpdate("UPDATE eval_judge_jobs SET cancel_requested = 1 WHERE id = :id")
                .bind("id", id)
                .execute());
  }

  @Override
  public void status(String id, RunStatus status, int asked, int failed) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "UPDATE eval_judge_jobs SET status = :status, asked = :asked, failed ="
                        + " :failed WHERE id = :id")
                .bind("status", status.name())
                .bind("asked", (long) asked)
                .bind("failed", (long) failed)
                .bind("id", id)
                .execute());
  }

  @Override
  public List<String> orphans(long nowMs) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT id FROM eval_judge_jobs WHERE status = :running AND cancel_requested"
                        + " = 0 AND (node IS NULL OR lease_until_ms < :now) ORDER BY created_ms,"
                        + " id")
                .bind("running", RunStatus.RUNNING.name())
                .bind("now", nowMs)
                .mapTo(String.class)
                .list());
  }
}

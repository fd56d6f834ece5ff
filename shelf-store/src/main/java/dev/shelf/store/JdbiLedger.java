package dev.shelf.store;

import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.UsageQuery;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.metering.UsageRow;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jspecify.annotations.Nullable;

/**
 * The ledger over JDBI. {@link #append} inserts a batch with {@code ON CONFLICT DO NOTHING} on the
 * request id, reads back which rows were new, and adds only those to the daily rollups, all in one
 * transaction: a record is counted once however many times it is appended.
 *
 * <p>Request ids can come from clients ({@code x-request-id}), so an id already in the ledger does
 * not prove the record is a replay: a client (or a proxy retrying for it) may send the same id with
 * a new request, say after a 429, and that request was served and must be billed. So a conflict
 * reads the stored row: the same record is a replay and skipped; a different one is kept under
 * {@code <id>~<hash of its content>}, which a replay of it hits again. The extra read happens only
 * on conflicts.
 */
public final class JdbiLedger implements Ledger {
  private final Jdbi jdbi;

  public JdbiLedger(Database db) {
    this.jdbi = db.jdbi();
  }

  private record RollupKey(String day, String key, String team, String model, String deployment) {}

  @Override
  public int append(List<UsageRecord> records) {
    if (records.isEmpty()) {
      return 0;
    }
    return jdbi.inTransaction(
        h -> {
          PreparedBatch insert = h.prepareBatch(INSERT);
          for (UsageRecord r : records) {
            bind(insert, r).add();
          }
          int[] counts = insert.execute();
          var rollups = new LinkedHashMap<RollupKey, long[]>();
          int added = 0;
          for (int i = 0; i < records.size(); i++) {
            UsageRecord r = records.get(i);
            if (counts[i] <= 0) {
              r = reusedId(h, r);
              if (r == null) {
                continue; // already in the ledger: a retried or replayed record
              }
            }
            added++;
            var k =
                new RollupKey(day(r.atMs()), r.keyId(), r.teamId(), r.model(), dep(r.deployment()));
            long[] s = rollups.computeIfAbsent(k, x -> new long[6]);
            s[0]++;
            s[1] += r.status() >= 400 ? 1 : 0;
            s[2] += r.promptTokens();
            s[3] += r.completionTokens();
            s[4] += r.cachedTokens();
            s[5] += r.costNanos();
          }
          if (!rollups.isEmpty()) {
            PreparedBatch up =
                h.prepareBatch(
                    "INSERT INTO usage_daily (day, key_id, team_id, model, deployment, requests,"
                        + " errors, prompt_tokens, completion_tokens, cached_tokens, cost_nanos)"
                        + " VALUES (:day, :key, :team, :model, :dep, :n, :e, :pt, :ct, :cached,"
                        + " :cost) ON CONFLICT (day, key_id, model, deployment) DO UPDATE SET"
                        + " requests = usage_daily.requests + excluded.requests, errors ="
                        + " usage_daily.errors + excluded.errors, prompt_tokens ="
                        + " usage_daily.prompt_tokens + excluded.prompt_tokens, completion_tokens"
                        + " = usage_daily.completion_tokens + excluded.completion_tokens,"
                        + " cached_tokens = usage_daily.cached_tokens + excluded.cached_tokens,"
                        + " cost_nanos = usage_daily.cost_nanos + excluded.cost_nanos");
            for (Map.Entry<RollupKey, long[]> e : rollups.entrySet()) {
              RollupKey k = e.getKey();
              long[] s = e.getValue();
              up.bind("day", k.day())
                  .bind("key", k.key())
                  .bind("team", k.team())
                  .bind("model", k.model())
                  .bind("dep", k.deployment())
                  .bind("n", s[0])
                  .bind("e", s[1])
                  .bind("pt", s[2])
                  .bind("ct", s[3])
                  .bind("cached", s[4])
                  .bind("cost", s[5])
                  .add();
            }
            up.execute();
          }
          return added;
        });
  }

  private static final String INSERT =
      "INSERT INTO usage_records (request_id, at_ms, key_id, team_id, endpoint, model, deployment,"
          + " prompt_tokens, completion_tokens, cached_tokens, cost_nanos, estimated, latency_ms,"
          + " ttft_ms, status, error_code) VALUES (:id, :at, :key, :team, :endpoint, :model, :dep,"
          + " :pt, :ct, :cached, :cost, :est, :lat, :ttft, :status, :err)"
          + " ON CONFLICT (request_id) DO NOTHING";

  private static final String COLUMNS =
      "request_id, at_ms, key_id, team_id, endpoint, model, deployment, prompt_tokens,"
          + " completion_tokens, cached_tokens, cost_nanos, estimated, latency_ms, ttft_ms, status,"
          + " error_code";

  private static final RowMapper<UsageRecord> ROW =
      (rs, ctx) -> {
        String dep = rs.getString(7);
        return new UsageRecord(
            rs.getString(1),
            rs.getLong(2),
            rs.getString(3),
            rs.getString(4),
            rs.getString(5),
            rs.getString(6),
            dep.isEmpty() ? null : dep,
            rs.getInt(8),
            rs.getInt(9),
            rs.getInt(10),
            rs.getLong(11),
            rs.getInt(12) != 0,
            rs.getInt(13),
            rs.getInt(14),
            rs.getInt(15),
            rs.getString(16));
      };

  private static <S extends SqlStatement<S>> S bind(S s, UsageRecord r) {
    return s.bind("id", r.requestId())
        .bind("at", r.atMs())
        .bind("key", r.keyId())
        .bind("team", r.teamId())
        .bind("endpoint", r.endpoint())
        .bind("model", r.model())
        .bind("dep", dep(r.deployment()))
        .bind("pt", r.promptTokens())
        .bind("ct", r.completionTokens())
        .bind("cached", r.cachedTokens())
        .bind("cost", r.costNanos())
        .bind("est", r.estimated() ? 1 : 0)
        .bind("lat", r.latencyMs())
        .bind("ttft", r.ttftMs())
        .bind("status", r.status())
        .bind("err", r.errorCode());
  }

  /**
   * A record whose id is taken: null when the stored row is this very record (a replay), else the
   * record as inserted under {@code <id>~<hash>} (null if that is taken too: a replay of it).
   */
  private static @Nullable UsageRecord reusedId(Handle h, UsageRecord r) {
    UsageRecord stored =
        h.createQuery("SELECT " + COLUMNS + " FROM usage_records WHERE request_id = :id")
            .bind("id", r.requestId())
            .map(ROW)
            .findOne()
            .orElse(null);
    if (stored == null || stored.equals(withId(r, r.requestId()))) {
      return null;
    }
    byte[] digest;
    try {
      digest =
          MessageDigest.getInstance("SHA-256")
              .digest(withId(r, "").toString().getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    UsageRecord other = withId(r, r.requestId() + "~" + HexFormat.of().formatHex(digest, 0, 8));
    return bind(h.createUpdate(INSERT), other).execute() > 0 ? other : null;
  }

  /** The record under another id, its deployment as stored ("" read back as null). */
  private static UsageRecord withId(UsageRecord r, String id) {
    String d = r.deployment();
    return new UsageRecord(
        id,
        r.atMs(),
        r.keyId(),
        r.teamId(),
        r.endpoint(),
        r.model(),
        d == null || d.isEmpty() ? null : d,
        r.promptTokens(),
        r.completionTokens(),
        r.cachedTokens(),
        r.costNanos(),
        r.estimated(),
        r.latencyMs(),
        r.ttftMs(),
        r.status(),
        r.errorCode());
  }

  private static String dep(@Nullable String deployment) {
    return deployment == null ? "" : deployment;
  }

  static String day(long ms) {
    return Instant.ofEpochMilli(ms).atZone(ZoneOffset.UTC).toLocalDate().toString();
  }

  @Override
  public long spent(Scope scope, String id, long fromMs, long toMs) {
    String col = scope == Scope.KEY ? "key_id" : "team_id";
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT COALESCE(SUM(cost_nanos), 0) FROM usage_daily WHERE "
                        + col
                        + " = :id AND day >= :from"
                        + (toMs == Long.MAX_VALUE ? "" : " AND day < :to"))
                .bind("id", id)
                .bind("from", day(fromMs))
                .bind("to", toMs == Long.MAX_VALUE ? "" : day(toMs))
                .mapTo(Long.class)
                .one());
  }

  @Override
  public List<UsageRow> report(UsageQuery q) {
    String col = q.groupBy().column();
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT "
                        + col
                        + ", SUM(requests), SUM(errors), SUM(prompt_tokens),"
                        + " SUM(completion_tokens), SUM(cached_tokens), SUM(cost_nanos) FROM"
                        + " usage_daily WHERE day >= :from AND day <= :to"
                        + (q.teamId() == null ? "" : " AND team_id = :team")
                        + (q.keyId() == null ? "" : " AND key_id = :key")
                        + " GROUP BY "
                        + col
                        + " ORDER BY "
                        + (q.groupBy() == UsageQuery.GroupBy.DAY
                            ? col
                            : "SUM(cost_nanos) DESC, " + col))
                .bind("from", q.fromDay())
                .bind("to", q.toDay())
                .bind("team", q.teamId())
                .bind("key", q.keyId())
                .map(
                    (rs, ctx) ->
                        new UsageRow(
                            rs.getString(1),
                            rs.getLong(2),
                            rs.getLong(3),
                            rs.getLong(4),
                            rs.getLong(5),
                            rs.getLong(6),
                            rs.getLong(7)))
                .list());
  }

  @Override
  public List<UsageRecord> records(@Nullable String teamId, long fromMs, long toMs, int limit) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT "
                        + COLUMNS
                        + " FROM usage_records WHERE at_ms >= :from AND at_ms < :to"
                        + (teamId == null ? "" : " AND team_id = :team")
                        + " ORDER BY at_ms DESC, request_id LIMIT :limit")
                .bind("from", fromMs)
                .bind("to", toMs)
                .bind("team", teamId)
                .bind("limit", limit)
                .map(ROW)
                .list());
  }

  @Override
  public int purge(long beforeMs) {
    return jdbi.withHandle(
        h ->
            h.createUpdate("DELETE FROM usage_records WHERE at_ms < :before")
                .bind("before", beforeMs)
                .execute());
  }

  /** Counts raw records (tests and the benchmark). */
  public long count() {
    return jdbi.withHandle(
        h -> h.createQuery("SELECT COUNT(*) FROM usage_records").mapTo(Long.class).one());
  }
}

package dev.shelf.store;

import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.UsageQuery;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.metering.UsageRow;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
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
  private final boolean postgres;

  public JdbiLedger(Database db) {
    this.jdbi = db.jdbi();
    this.postgres = db.postgres();
  }

  private static final long DAY_MS = 86_400_000L;

  private static final String COLUMNS =
      "request_id, at_ms, key_id, team_id, endpoint, model, deployment, prompt_tokens,"
          + " completion_tokens, cached_tokens, cost_nanos, estimated, latency_ms, ttft_ms, status,"
          + " error_code";

  private static final String INSERT_ROW =
      "INSERT INTO usage_records ("
          + COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (request_id) DO NOTHING";

  /** PostgreSQL's element types of the columns, in {@link #COLUMNS} order. */
  private static final String[] ARRAY_TYPES = {
    "text", "int8", "text", "text", "text", "text", "text", "int4", "int4", "int4", "int8", "int4",
    "int4", "int4", "int4", "text"
  };

  private static final String INSERT_ARRAYS =
      "INSERT INTO usage_records ("
          + COLUMNS
          + ") SELECT * FROM unnest(?::text[], ?::int8[], ?::text[], ?::text[], ?::text[],"
          + " ?::text[], ?::text[], ?::int4[], ?::int4[], ?::int4[], ?::int8[], ?::int4[],"
          + " ?::int4[], ?::int4[], ?::int4[], ?::text[])"
          + " ON CONFLICT (request_id) DO NOTHING RETURNING request_id";

  private static final String UPSERT_ROLLUP =
      "INSERT INTO usage_daily (day, key_id, team_id, model, deployment, requests, errors,"
          + " prompt_tokens, completion_tokens, cached_tokens, cost_nanos) VALUES (?, ?, ?, ?, ?,"
          + " ?, ?, ?, ?, ?, ?) ON CONFLICT (day, key_id, model, deployment) DO UPDATE SET"
          + " requests = usage_daily.requests + excluded.requests, errors = usage_daily.errors +"
          + " excluded.errors, prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,"
          + " completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,"
          + " cached_tokens = usage_daily.cached_tokens + excluded.cached_tokens, cost_nanos ="
          + " usage_daily.cost_nanos + excluded.cost_nanos";

  private record RollupKey(String day, String key, String team, String model, String deployment) {}

  @Override
  public int append(List<UsageRecord> records) {
    if (records.isEmpty()) {
      return 0;
    }
    try {
      return jdbi.inTransaction(h -> appendIn(h.getConnection(), records));
    } catch (SQLException e) {
      throw new IllegalStateException("could not append usage records: " + e.getMessage(), e);
    }
  }

  private boolean[] fresh(Connection c, List<UsageRecord> records) throws SQLException {
    return postgres ? insertArrays(c, records) : insertRows(c, records);
  }

  private int appendIn(Connection c, List<UsageRecord> records) throws SQLException {
    boolean[] fresh = fresh(c, records);
    var rollups = new LinkedHashMap<RollupKey, long[]>();
    int added = 0;
    String lastDay = "";
    long lastDayMs = Long.MIN_VALUE;
    for (int i = 0; i < records.size(); i++) {
      UsageRecord r = records.get(i);
      if (!fresh[i]) {
        r = reusedId(c, r);
        if (r == null) {
          continue; // already in the ledger: a retried or replayed record
        }
      }
      added++;
      long dayMs = Math.floorDiv(r.atMs(), DAY_MS);
      if (dayMs != lastDayMs) {
        lastDayMs = dayMs;
        lastDay = day(r.atMs());
      }
      var k = new RollupKey(lastDay, r.keyId(), r.teamId(), r.model(), dep(r.deployment()));
      long[] s = rollups.computeIfAbsent(k, x -> new long[6]);
      s[0]++;
      s[1] += r.status() >= 400 ? 1 : 0;
      s[2] += r.promptTokens();
      s[3] += r.completionTokens();
      s[4] += r.cachedTokens();
      s[5] += r.costNanos();
    }
    if (!rollups.isEmpty()) {
      upsertRollups(c, rollups);
    }
    return added;
  }

  /**
   * SQLite: one prepared statement executed per record in a JDBC batch. In-process, a statement
   * step costs microseconds, and the driver reports each row's change count, so the new records are
   * known exactly.
   */
  private static boolean[] insertRows(Connection c, List<UsageRecord> records) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT_ROW)) {
      for (UsageRecord r : records) {
        ps.setString(1, r.requestId());
        ps.setLong(2, r.atMs());
        ps.setString(3, r.keyId());
        ps.setString(4, r.teamId());
        ps.setString(5, r.endpoint());
        ps.setString(6, r.model());
        ps.setString(7, dep(r.deployment()));
        ps.setInt(8, r.promptTokens());
        ps.setInt(9, r.completionTokens());
        ps.setInt(10, r.cachedTokens());
        ps.setLong(11, r.costNanos());
        ps.setInt(12, r.estimated() ? 1 : 0);
        ps.setInt(13, r.latencyMs());
        ps.setInt(14, r.ttftMs());
        ps.setInt(15, r.status());
        ps.setString(16, r.errorCode());
        ps.addBatch();
      }
      int[] counts = ps.executeBatch();
      var fresh = new boolean[records.size()];
      for (int i = 0; i < fresh.length; i++) {
        fresh[i] = counts[i] > 0;
      }
      return fresh;
    }
  }

  /**
   * PostgreSQL: the whole batch as one statement over {@code unnest} of one array per column, so a
   * commit of hundreds of records is one round trip and one execution (a JDBC batch executes each
   * row as a statement of its own, which is what bounded the server's CPU here). {@code RETURNING}
   * names the rows that were new; a request id repeated inside one batch counts once.
   */
  private static boolean[] insertArrays(Connection c, List<UsageRecord> records)
      throws SQLException {
    int n = records.size();
    var id = new String[n];
    var at = new Long[n];
    var key = new String[n];
    var team = new String[n];
    var endpoint = new String[n];
    var model = new String[n];
    var deployment = new String[n];
    var prompt = new Integer[n];
    var completion = new Integer[n];
    var cached = new Integer[n];
    var cost = new Long[n];
    var estimated = new Integer[n];
    var latency = new Integer[n];
    var ttft = new Integer[n];
    var status = new Integer[n];
    var error = new @Nullable String[n];
    for (int i = 0; i < n; i++) {
      UsageRecord r = records.get(i);
      id[i] = r.requestId();
      at[i] = r.atMs();
      key[i] = r.keyId();
      team[i] = r.teamId();
      endpoint[i] = r.endpoint();
      model[i] = r.model();
      deployment[i] = dep(r.deployment());
      prompt[i] = r.promptTokens();
      completion[i] = r.completionTokens();
      cached[i] = r.cachedTokens();
      cost[i] = r.costNanos();
      estimated[i] = r.estimated() ? 1 : 0;
      latency[i] = r.latencyMs();
      ttft[i] = r.ttftMs();
      status[i] = r.status();
      error[i] = r.errorCode();
    }
    var inserted = new HashSet<String>(n * 2);
    try (PreparedStatement ps = c.prepareStatement(INSERT_ARRAYS)) {
      Object[][] columns = {
        id,
        at,
        key,
        team,
        endpoint,
        model,
        deployment,
        prompt,
        completion,
        cached,
        cost,
        estimated,
        latency,
        ttft,
        status,
        error
      };
      for (int i = 0; i < columns.length; i++) {
        ps.setArray(i + 1, c.createArrayOf(ARRAY_TYPES[i], columns[i]));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          inserted.add(rs.getString(1));
        }
      }
    }
    var fresh = new boolean[n];
    for (int i = 0; i < n; i++) {
      fresh[i] = inserted.remove(id[i]); // the first of repeated ids is the one that went in
    }
    return fresh;
  }

  /**
   * A record whose id is taken: null when the stored row is this very record (a replay), else the
   * record as inserted under {@code <id>~<hash>} (null if that is taken too: a replay of it).
   */
  private static @Nullable UsageRecord reusedId(Connection c, UsageRecord r) throws SQLException {
    UsageRecord stored = null;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + COLUMNS + " FROM usage_records WHERE request_id = ?")) {
      ps.setString(1, r.requestId());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          stored = row(rs);
        }
      }
    }
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
    return insertRows(c, List.of(other))[0] ? other : null;
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

  private static UsageRecord row(ResultSet rs) throws SQLException {
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
  }

  private static void upsertRollups(Connection c, Map<RollupKey, long[]> rollups)
      throws SQLException {
    try (PreparedStatement up = c.prepareStatement(UPSERT_ROLLUP)) {
      for (Map.Entry<RollupKey, long[]> e : rollups.entrySet()) {
        RollupKey k = e.getKey();
        long[] s = e.getValue();
        up.setString(1, k.day());
        up.setString(2, k.key());
        up.setString(3, k.team());
        up.setString(4, k.model());
        up.setString(5, k.deployment());
        for (int i = 0; i < 6; i++) {
          up.setLong(6 + i, s[i]);
        }
        up.addBatch();
      }
      up.executeBatch();
    }
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
                    "SELECT request_id, at_ms, key_id, team_id, endpoint, model, deployment,"
                        + " prompt_tokens, completion_tokens, cached_tokens, cost_nanos,"
                        + " estimated, latency_ms, ttft_ms, status, error_code FROM usage_records"
                        + " WHERE at_ms >= :from AND at_ms < :to"
                        + (teamId == null ? "" : " AND team_id = :team")
                        + " ORDER BY at_ms DESC, request_id LIMIT :limit")
                .bind("from", fromMs)
                .bind("to", toMs)
                .bind("team", teamId)
                .bind("limit", limit)
                .map((rs, ctx) -> row(rs))
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

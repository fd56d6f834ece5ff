package dev.shelf.gateway.metering;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The append-only usage ledger with daily rollups. {@link #append} is idempotent by request id: a
 * record already present is skipped, and rollups count only what was added, in the same
 * transaction. Ids may be chosen by clients, so a different record under an id already taken (a
 * client reusing its {@code x-request-id}) is another request and is kept, under a derived id.
 */
public interface Ledger {
  /** Appends in one transaction; returns how many records were new. */
  int append(List<UsageRecord> records);

  /** Cost spent by a key or a team in {@code [fromMs, toMs)}, from the daily rollups. */
  long spent(Scope scope, String id, long fromMs, long toMs);

  /** Usage grouped as the query asks, from the daily rollups (never the raw records). */
  List<UsageRow> report(UsageQuery query);

  /** Raw records, newest first, for one team (or all when null). */
  List<UsageRecord> records(@Nullable String teamId, long fromMs, long toMs, int limit);

  /** Deletes raw records older than {@code beforeMs}; rollups stay. Returns how many went. */
  int purge(long beforeMs);

  enum Scope {
    KEY,
    TEAM
  }
}

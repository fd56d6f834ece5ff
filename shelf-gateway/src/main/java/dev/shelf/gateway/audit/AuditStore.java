package dev.shelf.gateway.audit;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The durable content audit (shelf-store). Implementations are thread-safe; each call is one
 * transaction.
 */
public interface AuditStore {
  /** Appends records in one transaction (their {@code id} is ignored and assigned). */
  void append(List<ContentAudit> records);

  /** Deletes records created before {@code beforeMs}; returns how many went. */
  int purge(long beforeMs);

  /**
   * Records newest first, for one team (all when null) and one request id (any when null), with ids
   * below {@code beforeId} (0: from the newest), at most {@code limit}.
   */
  List<ContentAudit> records(
      @Nullable String teamId, @Nullable String requestId, long beforeId, int limit);
}

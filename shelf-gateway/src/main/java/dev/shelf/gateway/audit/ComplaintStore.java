package dev.shelf.gateway.audit;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Durable complaints (shelf-store). Thread-safe; each call is one transaction. */
public interface ComplaintStore {
  Complaint create(Complaint complaint);

  Optional<Complaint> complaint(String id);

  /**
   * Complaints of one team (all when null) whose status is in {@code statuses} (any when empty),
   * oldest first, at most {@code limit}.
   */
  List<Complaint> complaints(@Nullable String teamId, Set<ComplaintStatus> statuses, int limit);

  /**
   * Sets a complaint's status and note if it is still in status {@code from} (so of two reviewers
   * acting at once, one wins); returns the complaint as changed, or empty when it was not in {@code
   * from} any more.
   */
  Optional<Complaint> update(
      String id,
      ComplaintStatus from,
      ComplaintStatus to,
      @Nullable String resolution,
      String handledBy,
      long nowMs);

  /**
   * Whether {@code requestId} was served to {@code teamId}: in the usage ledger or the content
   * audit.
   */
  boolean knownRequest(String teamId, String requestId);
}

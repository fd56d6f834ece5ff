package dev.shelf.eval.exec;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Who a run started through a server's API belongs to (team and key), and which server node
 * executes it. Runs started by the CLI have no owner.
 *
 * <p>A node executes a run only while it holds the run's lease: {@link #claim} takes a lease that
 * is free or has lapsed, {@link #renew} extends it (a heartbeat), {@link #release} frees it. A node
 * that dies leaves a lease that lapses, and another node (or the same one restarted) claims the run
 * and resumes it. A cancel requested on any node is seen by the executing node at its next
 * heartbeat.
 */
public interface RunOwners {
  void own(String run, String teamId, String keyId, long nowMs);

  @Nullable Owner owner(String run);

  /** The owned runs of one team, by run name. */
  Map<String, Owner> owners(String teamId);

  /** Takes the lease when it is free, lapsed or already this node's; whether it did. */
  boolean claim(String run, String node, long untilMs, long nowMs);

  /** Extends this node's lease; false when the node no longer holds it. */
  boolean renew(String run, String node, long untilMs);

  /** Frees this node's lease, recording why the run stopped when it failed. */
  void release(String run, String node, @Nullable String error);

  void requestCancel(String run);

  /** Owned runs not finished nor cancelled whose lease is free or lapsed: the ones to resume. */
  List<String> orphans(long nowMs);

  /** A run's owner and lease. */
  record Owner(
      String run,
      String teamId,
      String keyId,
      @Nullable String node,
      long leaseUntilMs,
      boolean cancelRequested,
      @Nullable String error,
      long createdMs) {}
}

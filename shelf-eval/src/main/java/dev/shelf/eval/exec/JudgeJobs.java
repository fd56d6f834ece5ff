package dev.shelf.eval.exec;

import dev.shelf.eval.exec.RunStore.JudgeKind;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Judging passes ({@link dev.shelf.eval.judge.JudgePass}) started through a server's API over one
 * of its runs: who started them, with which judge and mode, where they stand, and which node
 * executes them. The verdicts themselves are the run's ({@link RunStore#saveJudgement}); a job only
 * says what to ask. Leases work as for runs ({@link RunOwners}): {@link #claim} takes a lease that
 * is free, lapsed or the claimant's own, {@link #renew} extends it, {@link #release} frees it, and
 * {@link #orphans} are the running jobs whose lease is free or lapsed, to resume.
 */
public interface JudgeJobs {
  void create(JudgeJob job);

  @Nullable JudgeJob find(String id);

  /** The jobs over one run, oldest first. */
  List<JudgeJob> list(String run);

  boolean claim(String id, String node, long untilMs, long nowMs);

  boolean renew(String id, String node, long untilMs);

  /** Frees this node's lease, recording why the job stopped when it failed. */
  void release(String id, String node, @Nullable String error);

  void requestCancel(String id);

  /** Where a job stands now, with how many judge calls it asked and how many failed. */
  void status(String id, RunStatus status, int asked, int failed);

  List<String> orphans(long nowMs);

  /**
   * A judging job. {@code kind} is {@link JudgeKind#SINGLE} or {@link JudgeKind#PAIRWISE}; {@code
   * asked} and {@code failed} count the judge calls of the last execution (failed ones are asked
   * again when the job is resumed or started again).
   */
  record JudgeJob(
      String id,
      String run,
      String teamId,
      String keyId,
      String judge,
      JudgeKind kind,
      int concurrency,
      RunStatus status,
      @Nullable String node,
      long leaseUntilMs,
      boolean cancelRequested,
      @Nullable String error,
      int asked,
      int failed,
      long createdMs) {
    public JudgeJob {
      if (kind == JudgeKind.REFUSAL) {
        throw new IllegalArgumentException("refusal verdicts belong to the run, not to a job");
      }
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be >= 1 but was " + concurrency);
      }
    }
  }
}

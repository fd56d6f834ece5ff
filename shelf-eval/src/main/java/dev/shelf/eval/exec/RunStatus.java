package dev.shelf.eval.exec;

/**
 * Where a run stands. A process killed mid-run leaves {@code RUNNING} behind; {@code shelf eval
 * resume} continues such a run like a cancelled one.
 */
public enum RunStatus {
  RUNNING,
  CANCELLED,
  FINISHED
}

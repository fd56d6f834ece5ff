package dev.shelf.eval.exec;

import dev.shelf.eval.arena.BattleStore;

/**
 * The stores the evaluation service of a server needs, all over one database: shelf-store's {@code
 * Database} provides them, and the server finds them on the accounts' resources.
 */
public interface EvalStores {
  RunStore runs();

  /** The owners and leases of API runs; the same runs as {@link #runs()}. */
  RunOwners owners();

  DatasetStore datasets();

  /** The judging jobs started through the API over {@link #runs()}. */
  JudgeJobs judgeJobs();

  BattleStore battles();
}

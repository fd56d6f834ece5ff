package dev.shelf.gateway.limits;

import java.util.function.LongSupplier;

/**
 * Shared counters behind every limit. One node uses {@link LocalCounters}; many nodes share Redis
 * (shelf-store's {@code RedisCounters}), where every check-and-add is one atomic script, so a limit
 * holds across nodes as it does on one.
 *
 * <p>Rolling windows are six buckets of ten seconds: the sum over the current bucket and the five
 * before it covers every 60-second window ending now, so enforcing it never lets more than the
 * limit through in any minute (it may refuse up to ten seconds early, never late).
 */
public interface Counters extends AutoCloseable {
  long WINDOW_MS = 60_000;
  long BUCKET_MS = 10_000;

  /**
   * Adds {@code amount} to a rolling-minute counter if the sum is below {@code limit} and stays
   * within it. Returns 0 when added, otherwise the milliseconds until the oldest bucket leaves the
   * window (a Retry-After).
   */
  long tryWindow(String key, long amount, long limit);

  /** Adds to a rolling-minute counter unconditionally (tokens counted after the fact). */
  void addWindow(String key, long amount);

  /** Takes one of {@code max} concurrency slots; false when all are taken. */
  boolean tryAcquire(String key, int max);

  void release(String key);

  /**
   * Reserves {@code amount} against a budget: admitted when spent + reserved + amount fits {@code
   * limit}, or when nothing is reserved and spent is still below it (so the last of a budget can be
   * used). The counter starts from {@code spentSoFar} (the ledger's sum) the first time a period's
   * key is seen; it expires at {@code expiresAtMs}.
   */
  boolean tryReserve(
      String key, long amount, long limit, long expiresAtMs, LongSupplier spentSoFar);

  /** Replaces a reservation by the actual spend. */
  void settle(String key, long reserved, long actual, long expiresAtMs);

  /** Spent plus reserved on a budget key, or -1 when the key is not held. */
  long budgetUsed(String key);

  @Override
  default void close() {}
}

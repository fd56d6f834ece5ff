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

  /** One check of an admission; {@link #admit} checks them all, then takes them all. */
  sealed interface Step {
    String key();

    /** A concurrency slot out of {@code max}. */
    record Slot(String key, int max) implements Step {}

    /** A rolling-minute window: {@code amount} must fit under {@code limit} (0 only checks). */
    record Window(String key, long amount, long limit) implements Step {}

    /** A budget reservation, as {@link #tryReserve}. */
    record Reserve(String key, long amount, long limit, long expiresAtMs, LongSupplier spentSoFar)
        implements Step {}
  }

  /** What {@link #admit} decided: {@code refused} is the index of the first step that failed. */
  record Verdict(int refused, long retryAfterMs) {
    public static final Verdict ADMITTED = new Verdict(-1, 0);

    public boolean admitted() {
      return refused < 0;
    }
  }

  /** One thing to give back or count when a request ends. */
  sealed interface Release {
    record Slot(String key) implements Release {}

    record AddWindow(String key, long amount) implements Release {}

    record Settle(String key, long reserved, long actual, long expiresAtMs) implements Release {}
  }

  /**
   * Checks every step and, only if all pass, takes them all: all or nothing, so a refusal leaves
   * nothing to undo. Redis does it in one atomic script (one round trip); this default does it step
   * by step, giving back what it took when a later step refuses.
   */
  default Verdict admit(java.util.List<Step> steps) {
    var taken = new java.util.ArrayList<Release>();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      long wait = 0;
      boolean ok;
      switch (s) {
        case Step.Slot slot -> {
          ok = tryAcquire(slot.key(), slot.max());
          if (ok) {
            taken.add(new Release.Slot(slot.key()));
          }
        }
        case Step.Window w -> {
          wait = tryWindow(w.key(), w.amount(), w.limit());
          ok = wait == 0;
          if (ok && w.amount() != 0) {
            taken.add(new Release.AddWindow(w.key(), -w.amount()));
          }
        }
        case Step.Reserve r -> {
          ok = tryReserve(r.key(), r.amount(), r.limit(), r.expiresAtMs(), r.spentSoFar());
          if (ok) {
            taken.add(new Release.Settle(r.key(), r.amount(), 0, r.expiresAtMs()));
          }
        }
      }
      if (!ok) {
        release(taken);
        return new Verdict(i, wait);
      }
    }
    return Verdict.ADMITTED;
  }

  /** Gives back and counts what a request held (Redis: one script, one round trip). */
  default void release(java.util.List<Release> ops) {
    for (Release op : ops) {
      switch (op) {
        case Release.Slot slot -> release(slot.key());
        case Release.AddWindow w -> addWindow(w.key(), w.amount());
        case Release.Settle st -> settle(st.key(), st.reserved(), st.actual(), st.expiresAtMs());
      }
    }
  }

  @Override
  default void close() {}
}

package dev.shelf.providers.local;

import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.runtime.KvBudget;
import java.util.ArrayDeque;
import java.util.Iterator;
import org.jspecify.annotations.Nullable;

/**
 * The sequences of finished requests to one model, kept so that a later prompt that begins the same
 * way — the same system prompt, or a conversation that goes on — copies their KV cache instead of
 * computing it again ({@link LlamaSequence#copyPrefix}): exact, as a position's keys and values
 * depend only on the tokens up to it.
 *
 * <p>At most {@code capacity} sequences, the most recently used first; a parked sequence keeps its
 * KV reservation, {@linkplain KvBudget.Reservation#park parked}, so it counts against the budget
 * until it is evicted: by a newer one past the capacity, when the model is unloaded ({@link
 * #clear}), or when a request of any model that shares the budget needs the memory (the budget
 * reclaims it, least recently parked first). A parked sequence is never fed again, only copied
 * from, so copies may run while others read it. Thread-safe.
 */
final class PrefixCache {
  /** Shorter common prefixes are not worth a copy (a BOS and a few template tokens). */
  static final int MIN_TOKENS = 16;

  private record Entry(LlamaSequence seq, int[] tokens, KvBudget.Reservation kv) {}

  /** A parked sequence and how many of its positions the prompt shares. */
  record Match(LlamaSequence seq, int tokens) {}

  private final int capacity;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final java.util.concurrent.atomic.LongAdder reused =
      new java.util.concurrent.atomic.LongAdder();

  PrefixCache(int capacity) {
    this.capacity = capacity;
  }

  /**
   * The parked sequence that shares the longest prefix with {@code prompt}, if one shares enough.
   */
  synchronized @Nullable Match longest(int[] prompt) {
    Entry best = null;
    int bestLength = 0;
    for (Entry e : entries) {
      int n = Math.min(e.tokens().length, prompt.length);
      int common = 0;
      while (common < n && e.tokens()[common] == prompt[common]) {
        common++;
      }
      if (common > bestLength) {
        best = e;
        bestLength = common;
      }
    }
    if (best == null || bestLength < MIN_TOKENS) {
      return null;
    }
    entries.remove(best);
    entries.addFirst(best); // most recently used
    return new Match(best.seq(), bestLength);
  }

  /**
   * Keeps a finished request's sequence, whose cache holds {@code tokens}, with its reservation;
   * releases it at once when the cache keeps nothing or the sequence holds too little to share.
   */
  void park(LlamaSequence seq, int[] tokens, KvBudget.Reservation kv) {
    if (capacity < 1 || tokens.length < MIN_TOKENS) {
      kv.close();
      return;
    }
    Entry entry = new Entry(seq, tokens, kv);
    Entry evicted = null;
    synchronized (this) {
      entries.addFirst(entry);
      if (entries.size() > capacity) {
        evicted = entries.removeLast();
      }
    }
    if (evicted != null) {
      evicted.kv().close();
    }
    kv.park(() -> forget(entry));
  }

  /** Drops an entry whose reservation the budget reclaimed for another request. */
  private synchronized void forget(Entry entry) {
    entries.removeIf(e -> e == entry);
  }

  /** Releases the least recently used sequence; false when none is parked. */
  boolean evictOldest() {
    Entry e;
    synchronized (this) {
      e = entries.pollLast();
    }
    if (e == null) {
      return false;
    }
    e.kv().close();
    return true;
  }

  /** Releases every parked sequence. */
  void clear() {
    while (evictOldest()) {
      // one at a time, each reservation closed outside the lock
    }
  }

  /** Counts positions a request copied instead of computing. */
  void reused(int positions) {
    reused.add(positions);
  }

  /** Positions copied from parked sequences so far. */
  long reusedTokens() {
    return reused.sum();
  }

  synchronized int size() {
    return entries.size();
  }

  /** The token lists parked, most recent first (for tests). */
  synchronized java.util.List<int[]> parked() {
    var out = new java.util.ArrayList<int[]>();
    for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      out.add(it.next().tokens());
    }
    return out;
  }
}

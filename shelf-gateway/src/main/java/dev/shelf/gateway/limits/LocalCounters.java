package dev.shelf.gateway.limits;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** In-process {@link Counters} for one node: the embedded default when no Redis is configured. */
public final class LocalCounters implements Counters {
  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final Map<String, int[]> slots = new ConcurrentHashMap<>();
  private final Map<String, long[]> budgets = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  public LocalCounters() {
    this(System::currentTimeMillis);
  }

  public LocalCounters(LongSupplier clock) {
    this.clock = clock;
  }

  /** Six ten-second buckets, indexed by bucket number modulo six. */
  private static final class Window {
    final long[] bucket = new long[6];
    final long[] count = new long[6];

    long sum(long now) {
      long b = now / BUCKET_MS;
      long s = 0;
      for (int i = 0; i < 6; i++) {
        if (bucket[i] > b - 6 && bucket[i] <= b) {
          s += count[i];
        }
      }
      return s;
    }

    void add(long now, long amount) {
      long b = now / BUCKET_MS;
      int i = (int) (b % 6);
      if (bucket[i] != b) {
        bucket[i] = b;
        count[i] = 0;
      }
      count[i] += amount;
    }

    long retryAfter(long now) {
      long b = now / BUCKET_MS;
      long oldest = b;
      for (int i = 0; i < 6; i++) {
        if (count[i] > 0 && bucket[i] > b - 6 && bucket[i] < oldest) {
          oldest = bucket[i];
        }
      }
      return Math.max(1, (oldest + 6) * BUCKET_MS - now);
    }
  }

  @Override
  public long tryWindow(String key, long amount, long limit) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    long now = clock.getAsLong();
    synchronized (w) {
      long sum = w.sum(now);
      if (sum < limit && sum + amount <= limit) {
        w.add(now, amount);
        return 0;
      }
      return w.retryAfter(now);
    }
  }

  @Override
  public void addWindow(String key, long amount) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    long now = clock.getAsLong();
    synchronized (w) {
      w.add(now, amount);
    }
  }

  @Override
  public boolean tryAcquire(String key, int max) {
    int[] n = slots.computeIfAbsent(key, k -> new int[1]);
    synchronized (n) {
      if (n[0] >= max) {
        return false;
      }
      n[0]++;
      return true;
    }
  }

  @Override
  public void release(String key) {
    int[] n = slots.get(key);
    if (n != null) {
      synchronized (n) {
        n[0] = Math.max(0, n[0] - 1);
      }
    }
  }

  @Override
  public boolean tryReserve(
      String key, long amount, long limit, long expiresAtMs, LongSupplier spentSoFar) {
    if (budgets.size() > 10_000) {
      // a key per budget per period: drop the periods that ended, as Redis expires them
      long now = clock.getAsLong();
      budgets.values().removeIf(v -> v[2] <= now);
    }
    long[] b =
        budgets.computeIfAbsent(key, k -> new long[] {spentSoFar.getAsLong(), 0, expiresAtMs});
    synchronized (b) {
      long spent = b[0];
      long reserved = b[1];
      if (spent + reserved + amount <= limit || (reserved == 0 && spent < limit)) {
        b[1] += amount;
        return true;
      }
      return false;
    }
  }

  @Override
  public void settle(String key, long reserved, long actual, long expiresAtMs) {
    long[] b = budgets.get(key);
    if (b == null) {
      return; // the period ended and its key went; the ledger has the spend
    }
    synchronized (b) {
      b[1] = Math.max(0, b[1] - reserved);
      b[0] += actual;
    }
  }

  @Override
  public long budgetUsed(String key) {
    long[] b = budgets.get(key);
    if (b == null) {
      return -1;
    }
    synchronized (b) {
      return b[0] + b[1];
    }
  }
}

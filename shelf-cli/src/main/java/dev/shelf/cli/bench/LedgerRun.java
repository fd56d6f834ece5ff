package dev.shelf.cli.bench;

import dev.shelf.cli.bench.Stats.Percentiles;
import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.Meter;
import dev.shelf.gateway.metering.UsageQuery;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.metering.UsageRow;
import dev.shelf.store.JdbiLedger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One database's ledger measurement: the baseline (each record its own transaction, straight into
 * the ledger from a few threads) and then the real path (many virtual-thread writers each calling
 * {@link Meter#record}, which returns only once its group commit is durable). A {@link Counting}
 * ledger between the meter and the store sees every batch, so the report can show how big the
 * commits grew. Afterwards the ledger must hold exactly the records appended and its rollups must
 * count each once; a run that fails that check has not measured a ledger.
 */
final class LedgerRun {
  /** Keys, teams and models records are spread over, as on a busy node: rollups pre-aggregate. */
  private static final int KEYS = 16;

  private static final int TEAMS = 4;
  private static final String[] MODELS = {"deepseek-chat", "gpt-4o-mini", "qwen2.5-0.5b"};

  /** What one database did. */
  record Result(
      String db,
      int baselineThreads,
      long baselineRecords,
      double baselinePerSecond,
      int writers,
      long records,
      double seconds,
      double perSecond,
      Percentiles recordWait,
      Percentiles batch,
      Percentiles commit,
      long ledgerRecords,
      long rollupRequests,
      long expected) {
    boolean consistent() {
      return ledgerRecords == expected && rollupRequests == expected;
    }
  }

  private LedgerRun() {}

  static Result run(
      String db,
      JdbiLedger ledger,
      int baselineThreads,
      Duration baselineWindow,
      int writers,
      int maxBatch,
      Duration warmup,
      Duration window)
      throws InterruptedException {
    long day = System.currentTimeMillis();
    // baseline: one transaction per record
    var baseCount = new AtomicLong();
    long baseStart = System.nanoTime();
    long baseEnd = baseStart + baselineWindow.toNanos();
    var threads = new ArrayList<Thread>();
    for (int t = 0; t < baselineThreads; t++) {
      int id = t;
      threads.add(
          Thread.ofPlatform()
              .name("ledger-baseline-" + t)
              .start(
                  () -> {
                    long seq = 0;
                    while (System.nanoTime() < baseEnd) {
                      ledger.append(List.of(record("b" + id + "-" + seq++, day, id)));
                      baseCount.incrementAndGet();
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double baseSeconds = (System.nanoTime() - baseStart) / 1e9;
    long baseline = baseCount.get();

    // group commit through the real Meter
    var counting = new Counting(ledger);
    long measuredRecords;
    double seconds;
    long[] waits;
    long appendedByMeter;
    try (var meter = new Meter(counting, maxBatch, Duration.ofSeconds(60))) {
      long start = System.nanoTime();
      long from = start + warmup.toNanos();
      long to = from + window.toNanos();
      var samples = new Stats.Samples[writers];
      var inWindow = new long[writers];
      var total = new long[writers];
      var errors = new AtomicLong();
      var firstError = new java.util.concurrent.atomic.AtomicReference<@Nullable Throwable>();
      var vts = new ArrayList<Thread>(writers);
      for (int w = 0; w < writers; w++) {
        int id = w;
        samples[w] = new Stats.Samples();
        vts.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      long seq = 0;
                      Stats.Samples mine = samples[id];
                      while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= to) {
                          return;
                        }
                        try {
                          meter.record(record("m" + id + "-" + seq++, day, id));
                        } catch (RuntimeException e) {
                          errors.incrementAndGet();
                          firstError.compareAndSet(null, e);
                          return;
                        }
                        long t1 = System.nanoTime();
                        total[id]++;
                        if (t0 >= from && t1 <= to) {
                          mine.add(t1 - t0);
                          inWindow[id]++;
                        }
                      }
                    }));
      }
      counting.measureFrom(from, to);
      for (Thread t : vts) {
        t.join();
      }
      Throwable e = firstError.get();
      if (e != null) {
        throw new IllegalStateException(
            errors.get() + " records failed to commit; the first: " + e.getMessage(), e);
      }
      long n = 0;
      long all = 0;
      for (int w = 0; w < writers; w++) {
        n += inWindow[w];
        all += total[w];
      }
      measuredRecords = n;
      seconds = window.toNanos() / 1e9;
      waits = Stats.Samples.merge(samples);
      appendedByMeter = all;
    }
    long expected = baseline + appendedByMeter;
    long rollups = 0;
    for (UsageRow r :
        ledger.report(
            new UsageQuery(UsageQuery.GroupBy.DAY, "2000-01-01", "9999-12-31", null, null))) {
      rollups += r.requests();
    }
    return new Result(
        db,
        baselineThreads,
        baseline,
        baseline / baseSeconds,
        writers,
        measuredRecords,
        seconds,
        measuredRecords / seconds,
        Percentiles.of(waits),
        Percentiles.of(counting.batches()),
        Percentiles.of(counting.commits()),
        ledger.count(),
        rollups,
        expected);
  }

  /** A plausible chat record; keys, teams and models cycle so rollups group several records. */
  static UsageRecord record(String id, long atMs, int writer) {
    int key = Math.floorMod(id.hashCode(), KEYS);
    return new UsageRecord(
        id,
        atMs,
        "key_bench" + key,
        "team_bench" + (key % TEAMS),
        "chat",
        MODELS[writer % MODELS.length],
        "stub",
        120 + writer % 50,
        40 + key,
        writer % 3 == 0 ? 64 : 0,
        1_234_567L + key,
        false,
        12,
        3,
        200,
        null);
  }

  /**
   * A ledger that times each append the meter makes and keeps the batch sizes of those that started
   * inside the measured window. Only the meter's one writer thread appends.
   */
  static final class Counting implements Ledger {
    private final Ledger inner;
    private final Stats.Samples batches = new Stats.Samples();
    private final Stats.Samples commits = new Stats.Samples();
    private volatile long from = Long.MAX_VALUE;
    private volatile long to = Long.MAX_VALUE;

    Counting(Ledger inner) {
      this.inner = inner;
    }

    void measureFrom(long fromNanos, long toNanos) {
      this.to = toNanos;
      this.from = fromNanos;
    }

    long[] batches() {
      synchronized (batches) {
        return Stats.Samples.merge(new Stats.Samples[] {batches});
      }
    }

    long[] commits() {
      synchronized (batches) {
        return Stats.Samples.merge(new Stats.Samples[] {commits});
      }
    }

    @Override
    public int append(List<UsageRecord> records) {
      long t0 = System.nanoTime();
      int n = inner.append(records);
      long t1 = System.nanoTime();
      if (t0 >= from && t1 <= to) {
        synchronized (batches) {
          batches.add(records.size());
          commits.add(t1 - t0);
        }
      }
      return n;
    }

    @Override
    public long spent(Scope scope, String id, long fromMs, long toMs) {
      return inner.spent(scope, id, fromMs, toMs);
    }

    @Override
    public List<UsageRow> report(UsageQuery query) {
      return inner.report(query);
    }

    @Override
    public List<UsageRecord> records(@Nullable String teamId, long fromMs, long toMs, int limit) {
      return inner.records(teamId, fromMs, toMs, limit);
    }

    @Override
    public int purge(long beforeMs) {
      return inner.purge(beforeMs);
    }
  }
}

package dev.shelf.gateway.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Writes the content audit off the request path, in batches.
 *
 * <p>Unlike the ledger's {@link dev.shelf.gateway.metering.Meter}, nobody waits here: a request
 * hands over a record (as a supplier, so that flattening and hashing the text happen on the
 * writer's thread, not the request's) and goes on. One writer thread takes everything queued, up to
 * {@code maxBatch}, and appends it in one transaction, so under load a commit carries many records.
 * The queue is bounded: when the database cannot keep up, records beyond {@code capacity} are
 * dropped and counted ({@link #dropped()}, and a warning) rather than slowing requests down or
 * growing the heap without end. A failed commit is retried a few times, then dropped and counted.
 * {@link #close()} drains what is queued.
 */
public final class AuditWriter implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.audit");

  private final AuditStore store;
  private final int maxBatch;
  private final BlockingQueue<Supplier<ContentAudit>> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong handled = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;

  public AuditWriter(AuditStore store, int maxBatch, int capacity) {
    if (maxBatch < 1 || capacity < 1) {
      throw new IllegalArgumentException(
          "maxBatch and capacity must be >= 1 but were " + maxBatch + " and " + capacity);
    }
    this.store = store;
    this.maxBatch = maxBatch;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.writer = Thread.ofPlatform().daemon().name("shelf-audit-writer").start(this::run);
  }

  /** Queues a record without waiting; false (and counted) when the queue is full or closed. */
  public boolean submit(Supplier<ContentAudit> record) {
    if (closed || !queue.offer(record)) {
      long n = dropped.incrementAndGet();
      if (Long.bitCount(n) == 1) { // 1, 2, 4, 8, ...: a warning that does not flood the log
        LOG.log(System.Logger.Level.WARNING, "content audit: " + n + " records dropped so far");
      }
      return false;
    }
    accepted.incrementAndGet();
    return true;
  }

  /** Records dropped: queue full, writer closed or the database failing. */
  public long dropped() {
    return dropped.get();
  }

  /** Records committed. */
  public long written() {
    return written.get();
  }

  /** Waits until everything queued so far is written or dropped (tests, shutdown). */
  public void flush() throws InterruptedException {
    long target = accepted.get();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (handled.get() < target) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the content audit was not written within 30 s");
      }
      Thread.sleep(5);
    }
  }

  private void run() {
    var batch = new ArrayList<Supplier<ContentAudit>>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Supplier<ContentAudit> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closed = true;
      } finally {
        handled.addAndGet(batch.size());
        batch.clear();
      }
    }
  }

  private void commit(List<Supplier<ContentAudit>> batch) throws InterruptedException {
    var records = new ArrayList<ContentAudit>(batch.size());
    for (Supplier<ContentAudit> s : batch) {
      try {
        records.add(s.get());
      } catch (RuntimeException e) {
        dropped.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "content audit: a record failed: " + e);
      }
    }
    for (int attempt = 0; attempt < 4; attempt++) {
      try {
        store.append(records);
        written.addAndGet(records.size());
        return;
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "content audit commit failed, retrying: " + e.getMessage());
        Thread.sleep(50L << attempt);
      }
    }
    dropped.addAndGet(records.size());
    LOG.log(System.Logger.Level.ERROR, "content audit: " + records.size() + " records lost");
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

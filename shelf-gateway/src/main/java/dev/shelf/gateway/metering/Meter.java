package dev.shelf.gateway.metering;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Group commit in front of the {@link Ledger}.
 *
 * <p>Why: a request must not finish (its {@code [DONE]}, its last JSON byte) before its usage
 * record is durable, or a node killed at that moment loses a billed request; but one transaction
 * per request caps a SQLite node at a few thousand commits a second. So requests hand their record
 * to one writer thread and wait; the writer takes everything queued (up to {@code maxBatch}),
 * writes it in one transaction and releases all the waiters together. Under load, batches grow and
 * the commit cost is shared; idle, a record waits only for its own commit.
 *
 * <p>Invariants: a record's future completes only after its transaction commits; a failed commit is
 * retried (the ledger is idempotent by request id, so a commit that succeeded but reported failure
 * cannot double-count); after {@code retries} failures the waiters get the error and the response
 * is not completed. {@link #close()} drains what is queued.
 */
public final class Meter implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.metering");

  private record Pending(UsageRecord record, CompletableFuture<Void> done) {}

  private final Ledger ledger;
  private final int maxBatch;
  private final Duration wait;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean closed;

  public Meter(Ledger ledger, int maxBatch, Duration wait) {
    this.ledger = ledger;
    this.maxBatch = maxBatch;
    this.wait = wait;
    this.writer = Thread.ofPlatform().daemon().name("shelf-ledger-writer").start(this::run);
  }

  public Ledger ledger() {
    return ledger;
  }

  /** Queues a record; the future completes when it is committed. */
  public CompletableFuture<Void> submit(UsageRecord r) {
    var p = new Pending(r, new CompletableFuture<>());
    if (closed) {
      p.done.completeExceptionally(new IllegalStateException("the ledger writer is closed"));
      return p.done;
    }
    queue.add(p);
    return p.done;
  }

  /** Queues a record and waits for its commit. */
  public void record(UsageRecord r) {
    try {
      submit(r).get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LedgerException("interrupted while committing usage of " + r.requestId(), e);
    } catch (ExecutionException e) {
      throw new LedgerException("could not commit usage of " + r.requestId(), e.getCause());
    } catch (TimeoutException e) {
      throw new LedgerException("usage of " + r.requestId() + " not committed in " + wait, e);
    }
  }

  private void run() {
    var batch = new ArrayList<Pending>(maxBatch);
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
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
        batch.clear();
      }
    }
  }

  private void commit(List<Pending> batch) {
    var records = new ArrayList<UsageRecord>(batch.size());
    for (Pending p : batch) {
      records.add(p.record);
    }
    RuntimeException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        ledger.append(records);
        for (Pending p : batch) {
          p.done.complete(null);
        }
        return;
      } catch (RuntimeException e) {
        last = e;
        LOG.log(System.Logger.Level.WARNING, "ledger commit failed, retrying: " + e.getMessage());
        try {
          Thread.sleep(20L << attempt);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    for (Pending p : batch) {
      p.done.completeExceptionally(last);
    }
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

  /** The ledger could not take a record: the response must not be completed. */
  public static final class LedgerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LedgerException(String message, @Nullable Throwable cause) {
      super(message, cause);
    }
  }
}

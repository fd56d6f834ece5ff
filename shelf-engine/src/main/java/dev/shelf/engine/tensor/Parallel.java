package dev.shelf.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Runs a range of rows split into contiguous, balanced parts, one part per thread: the calling
 * thread runs the first part itself and {@code threads - 1} workers of its own run the others. The
 * caller returns when every part has run; an exception thrown by a part is rethrown to the caller.
 * Parts are independent (each writes its own rows), so the split never changes a result, only who
 * computes it.
 *
 * <h2>Why its own workers, spinning</h2>
 *
 * A decoded token runs some 130 splits (each matrix product and the attention of each layer), each
 * a few hundred microseconds long. Handed to a {@link java.util.concurrent.ForkJoinPool}, each
 * split woke parked workers and parked the caller, and the wake-ups left about an eighth of the
 * cores' time unused (the benchmark's "CPU used" read 1.75 of 2). Here an idle worker first spins
 * on the next job for up to {@value #SPIN_NANOS} ns, as llama.cpp's threads do, and only then
 * parks; the caller computes a part instead of waiting, and spins for the others, which finish at
 * about the same time.
 *
 * <p>A part that itself calls {@link #forRange} on the same instance (from the caller's part or a
 * worker's) runs that range whole on its own thread, so nesting never deadlocks. Threads that call
 * {@link #forRange} concurrently take turns. {@link #shared()} sizes its instance from the system
 * property {@value #PROPERTY}, or the number of available processors.
 */
public final class Parallel implements AutoCloseable {
  /** The system property that sizes {@link #shared()}. */
  public static final String PROPERTY = "shelf.threads";

  /** How long an idle worker, or a caller waiting for the workers, spins before it parks. */
  static final long SPIN_NANOS = 1_000_000;

  private final int threads;
  private final Worker[] workers;
  private final ReentrantLock turn = new ReentrantLock();
  private volatile @Nullable Job job;
  private volatile boolean closed;

  /**
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public Parallel(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1 but was " + threads);
    }
    this.threads = threads;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].start();
    }
  }

  /** The process-wide instance, created on first use. */
  public static Parallel shared() {
    return Shared.INSTANCE;
  }

  /** The number of parts a range is split into (at most). */
  public int threads() {
    return threads;
  }

  /** A task over the rows {@code [start, end)}. */
  @FunctionalInterface
  public interface RangeTask {
    void run(int start, int end);
  }

  /**
   * Runs {@code task} over {@code [start, end)} split into {@code min(threads, end - start)}
   * contiguous parts whose sizes differ by at most one, and waits for all of them.
   *
   * @throws IllegalStateException if this instance is closed
   */
  public void forRange(int start, int end, RangeTask task) {
    if (start > end) {
      throw new IllegalArgumentException("range [" + start + ", " + end + ") is empty backwards");
    }
    int n = end - start;
    int parts = Math.min(threads, n);
    if (parts <= 1 || turn.isHeldByCurrentThread() || isOwnWorker()) {
      if (n > 0) {
        task.run(start, end);
      }
      return;
    }
    turn.lock();
    try {
      if (closed) {
        throw new IllegalStateException(this + " is closed");
      }
      Job next = new Job(task, start, n, parts);
      job = next;
      for (int p = 1; p < parts; p++) {
        workers[p - 1].wake();
      }
      try {
        task.run(next.from(0), next.from(1));
      } catch (RuntimeException | Error e) {
        next.fail(e);
      }
      next.awaitWorkers();
      job = null; // the task and the arrays it holds are not kept until the next call
      next.rethrow();
    } finally {
      turn.unlock();
    }
  }

  private boolean isOwnWorker() {
    return Thread.currentThread() instanceof Worker w && w.owner() == this;
  }

  /** Stops the workers; {@link #shared()} is never closed. */
  @Override
  public void close() {
    closed = true;
    for (Worker w : workers) {
      LockSupport.unpark(w);
    }
  }

  @Override
  public String toString() {
    return "Parallel[" + threads + " threads]";
  }

  /** One call of {@link #forRange}: its parts, and the workers' parts still running. */
  private static final class Job {
    final RangeTask task;
    final int start;
    final int n;
    final int parts;
    final AtomicInteger running;
    final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    volatile @Nullable Thread waiter;

    Job(RangeTask task, int start, int n, int parts) {
      this.task = task;
      this.start = start;
      this.n = n;
      this.parts = parts;
      this.running = new AtomicInteger(parts - 1);
    }

    /** The first row of part {@code p} (and the end of part {@code p - 1}). */
    int from(int p) {
      return start + (int) ((long) n * p / parts);
    }

    void run(int p) {
      try {
        task.run(from(p), from(p + 1));
      } catch (RuntimeException | Error e) {
        fail(e);
      } finally {
        if (running.decrementAndGet() == 0) {
          Thread w = waiter;
          if (w != null) {
            LockSupport.unpark(w);
          }
        }
      }
    }

    void fail(Throwable e) {
      if (!failure.compareAndSet(null, e)) {
        Throwable first = failure.get();
        if (first != null && first != e) {
          first.addSuppressed(e);
        }
      }
    }

    /** Spins, then parks, until every worker's part has run; an interrupt is kept for later. */
    void awaitWorkers() {
      long since = System.nanoTime();
      while (running.get() != 0) {
        if (System.nanoTime() - since < SPIN_NANOS) {
          Thread.onSpinWait();
          continue;
        }
        waiter = Thread.currentThread();
        boolean interrupted = false;
        while (running.get() != 0) {
          LockSupport.park(this);
          interrupted |= Thread.interrupted();
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    void rethrow() {
      Throwable e = failure.get();
      if (e instanceof RuntimeException r) {
        throw r;
      }
      if (e instanceof Error err) {
        throw err;
      }
    }
  }

  /** Runs part {@code part} of each job that has that many parts. */
  private final class Worker extends Thread {
    private final int part;
    private volatile boolean parked;
    private @Nullable Job last;

    Worker(int part) {
      super("shelf-parallel-" + part);
      this.part = part;
      setDaemon(true);
    }

    Parallel owner() {
      return Parallel.this;
    }

    void wake() {
      if (parked) {
        LockSupport.unpark(this);
      }
    }

    @Override
    public void run() {
      for (Job j = next(); j != null; j = next()) {
        if (part < j.parts) {
          j.run(part);
        }
      }
    }

    /** The next job: spins on it for a while, then parks; null once closed. */
    private @Nullable Job next() {
      long since = System.nanoTime();
      while (!closed) {
        Job j = job;
        if (j != null && j != last) {
          last = j;
          return j;
        }
        if (System.nanoTime() - since < SPIN_NANOS) {
          Thread.onSpinWait();
          continue;
        }
        // A caller that publishes its job after this worker looked sees parked and unparks it.
        parked = true;
        if (job == last && !closed) {
          LockSupport.park(this);
        }
        parked = false;
        since = System.nanoTime();
      }
      return null;
    }
  }

  private static final class Shared {
    static final Parallel INSTANCE = new Parallel(threadsFromProperty());

    private static int threadsFromProperty() {
      String value = System.getProperty(PROPERTY);
      if (value == null || value.isBlank()) {
        return Runtime.getRuntime().availableProcessors();
      }
      try {
        return Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            PROPERTY + " must be a whole number but was '" + value + "'", e);
      }
    }
  }
}

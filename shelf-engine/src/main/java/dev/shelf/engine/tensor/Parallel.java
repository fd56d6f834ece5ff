package dev.shelf.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
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
 * <h2>Pieces</h2>
 *
 * On a shared machine a thread is now and then descheduled for a millisecond or more, several times
 * a part's length, and the others wait for it. A range split into pieces ({@link #forRange(int,
 * int, int, RangeTask)}) lets a thread done with its own part take the pieces another has not
 * started; a part run whole (the other method) can still be taken by another thread before its own
 * has begun it.
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
   * contiguous parts whose sizes differ by at most one, and waits for all of them. A part whose
   * thread has not started it when another thread is done with its own is run by that other thread
   * (whole: the task sees the same parts either way), so a worker the system has descheduled does
   * not hold the caller up.
   *
   * @throws IllegalStateException if this instance is closed
   */
  public void forRange(int start, int end, RangeTask task) {
    forRange(start, end, Integer.MAX_VALUE, task);
  }

  /**
   * Runs {@code task} over {@code [start, end)} as {@link #forRange(int, int, RangeTask)} does, but
   * in pieces of at most {@code grain} indices: each thread takes its own part's pieces front to
   * back, and a thread done with its part takes pieces from the back of the part with the most
   * left, so threads finish within about a piece of each other even when one of them is slowed or
   * descheduled for a while. Pieces may run on any thread and in any order, each exactly once; on
   * one thread the range runs whole, in one call.
   *
   * <p>Measured on llama32-1b Q4_0 decode (2 threads, 2 vCPUs of a shared Zen 5): with one part per
   * thread the caller spent 11-15% of its time waiting for the worker, most of it in waits of a
   * millisecond or more (the worker descheduled) where a part takes about half a millisecond. With
   * {@link WeightMatrix#matvec}'s pieces, decode ran 3.9% faster (both ways alternated in one
   * process, 500 rounds of 8 tokens, ahead in 276).
   *
   * @throws IllegalArgumentException if {@code grain < 1} or {@code start > end}
   * @throws IllegalStateException if this instance is closed
   */
  public void forRange(int start, int end, int grain, RangeTask task) {
    if (start > end) {
      throw new IllegalArgumentException("range [" + start + ", " + end + ") is empty backwards");
    }
    if (grain < 1) {
      throw new IllegalArgumentException("grain must be >= 1 but was " + grain);
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
      Job next = new Job(task, start, n, parts, grain);
      job = next;
      for (int p = 1; p < parts; p++) {
        workers[p - 1].wake();
      }
      next.run(0);
      next.awaitDone();
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

  /**
   * One call of {@link #forRange}: what is left of each part, as its next and end index relative to
   * {@code start} in one long (next in the high half), and the indices not yet run.
   */
  private static final class Job {
    private static final long NONE = -1;

    final RangeTask task;
    final int start;
    final int parts;
    final int grain;
    final AtomicLongArray left;
    final AtomicInteger unfinished;
    final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    volatile @Nullable Thread waiter;

    Job(RangeTask task, int start, int n, int parts, int grain) {
      this.task = task;
      this.start = start;
      this.parts = parts;
      this.grain = grain;
      this.left = new AtomicLongArray(parts);
      for (int p = 0; p < parts; p++) {
        left.set(p, span((int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts)));
      }
      this.unfinished = new AtomicInteger(n);
    }

    private static long span(int from, int to) {
      return (long) from << 32 | to;
    }

    private static int from(long span) {
      return (int) (span >>> 32);
    }

    private static int to(long span) {
      return (int) span;
    }

    /** Runs part {@code p} a piece at a time, then pieces of the other parts while any are left. */
    void run(int p) {
      for (long piece = front(p); piece != NONE; piece = front(p)) {
        run(piece);
      }
      for (long piece = steal(); piece != NONE; piece = steal()) {
        run(piece);
      }
    }

    /** Takes the first piece left of part {@code p}, or {@link #NONE}. */
    private long front(int p) {
      while (true) {
        long span = left.get(p);
        int from = from(span);
        int to = to(span);
        if (from >= to) {
          return NONE;
        }
        int end = from + Math.min(grain, to - from);
        if (left.compareAndSet(p, span, span(end, to))) {
          return span(from, end);
        }
      }
    }

    /** Takes the last piece of the part with the most left, or {@link #NONE} once none is. */
    private long steal() {
      while (true) {
        int victim = -1;
        long span = 0;
        for (int q = 0; q < parts; q++) {
          long s = left.get(q);
          if (to(s) - from(s) > to(span) - from(span)) {
            span = s;
            victim = q;
          }
        }
        if (victim < 0) {
          return NONE;
        }
        int from = from(span);
        int to = to(span);
        int begin = to - Math.min(grain, to - from);
        if (left.compareAndSet(victim, span, span(from, begin))) {
          return span(begin, to);
        }
      }
    }

    private void run(long piece) {
      int from = from(piece);
      int to = to(piece);
      try {
        task.run(start + from, start + to);
      } catch (RuntimeException | Error e) {
        fail(e);
      } finally {
        if (unfinished.addAndGet(from - to) == 0) {
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

    /** Spins, then parks, until every piece has run; an interrupt is kept for later. */
    void awaitDone() {
      long since = System.nanoTime();
      while (unfinished.get() != 0) {
        if (System.nanoTime() - since < SPIN_NANOS) {
          Thread.onSpinWait();
          continue;
        }
        waiter = Thread.currentThread();
        boolean interrupted = false;
        while (unfinished.get() != 0) {
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

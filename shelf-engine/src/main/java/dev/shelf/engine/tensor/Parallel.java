package dev.shelf.engine.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Runs a range of rows split into contiguous, balanced parts on a fixed pool of threads, one part
 * per thread. The caller waits until every part has run; an exception thrown by a part is rethrown
 * to the caller. Parts are independent (each writes its own rows), so the split never changes a
 * result, only who computes it.
 *
 * <p>The pool is a {@link ForkJoinPool} of {@link #threads()} daemon workers, so a part may itself
 * call {@link #forRange} without deadlocking. {@link #shared()} sizes its pool from the system
 * property {@value #PROPERTY}, or the number of available processors.
 */
public final class Parallel implements AutoCloseable {
  /** The system property that sizes {@link #shared()}. */
  public static final String PROPERTY = "shelf.threads";

  private final int threads;
  private final ForkJoinPool pool;

  /**
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public Parallel(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1 but was " + threads);
    }
    this.threads = threads;
    this.pool = new ForkJoinPool(threads);
  }

  /** The process-wide pool, created on first use. */
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
   */
  public void forRange(int start, int end, RangeTask task) {
    if (start > end) {
      throw new IllegalArgumentException("range [" + start + ", " + end + ") is empty backwards");
    }
    int n = end - start;
    int parts = Math.min(threads, n);
    if (parts <= 1) {
      if (n > 0) {
        task.run(start, end);
      }
      return;
    }
    List<ForkJoinTask<?>> tasks = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      int from = start + (int) ((long) n * p / parts);
      int to = start + (int) ((long) n * (p + 1) / parts);
      tasks.add(
          new RecursiveAction() {
            @Override
            protected void compute() {
              task.run(from, to);
            }
          });
    }
    if (ForkJoinTask.inForkJoinPool()) {
      ForkJoinTask.invokeAll(tasks);
    } else {
      pool.invoke(
          new RecursiveAction() {
            @Override
            protected void compute() {
              invokeAll(tasks);
            }
          });
    }
  }

  /** Stops the workers; {@link #shared()} is never closed. */
  @Override
  public void close() {
    pool.shutdown();
  }

  @Override
  public String toString() {
    return "Parallel[" + threads + " threads]";
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

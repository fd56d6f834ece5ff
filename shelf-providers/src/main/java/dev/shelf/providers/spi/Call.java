package dev.shelf.providers.spi;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One attempt at an upstream call, with its deadlines.
 *
 * <p>Providers block the calling virtual thread on I/O. A deadline that passes aborts the call by
 * interrupting that thread: a blocked HTTP send or read then fails at once, and the provider maps
 * the failure with {@link #abortReason()}. The state machine (running, then finished or aborted,
 * under one lock) guarantees that no interrupt is delivered after {@link #finish()} returns, so an
 * abort can never leak into the code that runs after the call.
 */
public final class Call {
  private static final ScheduledExecutorService TIMERS = timers();

  private static ScheduledExecutorService timers() {
    var pool =
        new ScheduledThreadPoolExecutor(
            1, r -> Thread.ofPlatform().daemon().name("shelf-deadlines").unstarted(r));
    // Almost every deadline is cancelled long before it fires; drop them from the queue at once
    // instead of keeping millions of dead tasks until their (minutes-away) expiry.
    pool.setRemoveOnCancelPolicy(true);
    return pool;
  }

  private final String requestId;
  private final Duration firstTokenTimeout;
  private final Duration totalTimeout;
  private final Thread thread;
  private final Object lock = new Object();
  private boolean done;
  private ProviderException.@Nullable Kind abortReason;
  private @Nullable ScheduledFuture<?> firstTokenTimer;
  private @Nullable ScheduledFuture<?> totalTimer;

  private Call(String requestId, Duration firstTokenTimeout, Duration totalTimeout) {
    this.requestId = requestId;
    this.firstTokenTimeout = firstTokenTimeout;
    this.totalTimeout = totalTimeout;
    this.thread = Thread.currentThread();
  }

  /** Starts an attempt on the current thread; the caller must {@link #finish()} it. */
  public static Call start(String requestId, Duration firstTokenTimeout, Duration totalTimeout) {
    var call = new Call(requestId, firstTokenTimeout, totalTimeout);
    call.firstTokenTimer =
        TIMERS.schedule(
            () -> call.abort(ProviderException.Kind.TIMEOUT),
            firstTokenTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
    call.totalTimer =
        TIMERS.schedule(
            () -> call.abort(ProviderException.Kind.TIMEOUT),
            totalTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
    return call;
  }

  /** A call without deadlines, for tools and tests. */
  public static Call unbounded(String requestId) {
    return new Call(requestId, Duration.ofDays(1), Duration.ofDays(1));
  }

  public String requestId() {
    return requestId;
  }

  public Duration firstTokenTimeout() {
    return firstTokenTimeout;
  }

  public Duration totalTimeout() {
    return totalTimeout;
  }

  /** The first chunk arrived: the first-token deadline no longer applies. */
  public void firstChunk() {
    ScheduledFuture<?> t = firstTokenTimer;
    if (t != null) {
      t.cancel(false);
    }
  }

  /** Aborts the call from any thread; the provider's blocked I/O fails promptly. */
  public void abort(ProviderException.Kind reason) {
    synchronized (lock) {
      if (done) {
        return;
      }
      done = true;
      abortReason = reason;
      thread.interrupt();
    }
  }

  /** Why the call was aborted, or null if it was not. */
  public ProviderException.@Nullable Kind abortReason() {
    synchronized (lock) {
      return abortReason;
    }
  }

  /**
   * Ends the attempt: disarms the deadlines and clears an interrupt an abort may have left, so the
   * thread can go on to write the response.
   */
  public void finish() {
    synchronized (lock) {
      done = true;
      if (abortReason != null) {
        Thread.interrupted();
      }
    }
    if (firstTokenTimer != null) {
      firstTokenTimer.cancel(false);
    }
    if (totalTimer != null) {
      totalTimer.cancel(false);
    }
  }

  /** Maps an I/O failure to the reason this call was aborted, if it was. */
  public ProviderException aborted(Throwable cause, String what) {
    ProviderException.Kind reason = abortReason();
    if (reason == ProviderException.Kind.TIMEOUT) {
      return new ProviderException(reason, what + " timed out", cause);
    }
    return new ProviderException(ProviderException.Kind.CANCELLED, what + " was cancelled", cause);
  }
}

package dev.shelf.gateway.routing;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The live state of one deployment: in-flight count, time-to-first-token moving average, cooldown
 * and circuit breaker. It outlives configuration reloads (kept by deployment id).
 *
 * <p>The breaker counts consecutive health failures (connect errors, timeouts, 5xx, broken
 * streams). At the threshold it opens for the configured time; then it is half-open and lets
 * exactly one probe through; the probe's success closes it, its failure opens it again.
 */
public final class DeploymentHealth {
  public enum BreakerState {
    CLOSED,
    HALF_OPEN,
    OPEN
  }

  private final String id;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile double ttftEwmaMillis = Double.NaN;
  private volatile long cooldownUntilNanos;
  private volatile boolean cooling;
  private int consecutiveFailures;
  private BreakerState breaker = BreakerState.CLOSED;
  private long openUntilNanos;
  private boolean probeInFlight;
  private @Nullable Thread probe;

  public DeploymentHealth(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public int inFlight() {
    return inFlight.get();
  }

  public double ttftMillis() {
    return ttftEwmaMillis;
  }

  public synchronized BreakerState breaker(long now) {
    if (breaker == BreakerState.OPEN && now - openUntilNanos >= 0) {
      breaker = BreakerState.HALF_OPEN;
      probeInFlight = false;
      probe = null;
    }
    return breaker;
  }

  /** Whether a request may be sent now; a half-open breaker admits one probe at a time. */
  public synchronized boolean available(long now) {
    if (cooling && now - cooldownUntilNanos < 0) {
      return false;
    }
    return switch (breaker(now)) {
      case CLOSED -> true;
      case OPEN -> false;
      case HALF_OPEN -> !probeInFlight;
    };
  }

  /** Takes a permit: call before sending; false if the breaker or cooldown says no. */
  public synchronized boolean acquire(long now) {
    if (!available(now)) {
      return false;
    }
    if (breaker == BreakerState.HALF_OPEN) {
      probeInFlight = true;
      probe = Thread.currentThread(); // an attempt runs on one thread from acquire to its end
    }
    inFlight.incrementAndGet();
    return true;
  }

  public synchronized void success(long ttftNanos) {
    inFlight.decrementAndGet();
    consecutiveFailures = 0;
    breaker = BreakerState.CLOSED;
    endProbe();
    double ms = ttftNanos / 1e6;
    double prev = ttftEwmaMillis;
    ttftEwmaMillis = Double.isNaN(prev) ? ms : prev * 0.8 + ms * 0.2;
  }

  /** A failure that says nothing about health (the client's fault, or it went away). */
  public synchronized void neutral() {
    inFlight.decrementAndGet();
    endProbe();
  }

  public synchronized void failure(long now, int threshold, long openNanos) {
    inFlight.decrementAndGet();
    consecutiveFailures++;
    if (breaker == BreakerState.HALF_OPEN || consecutiveFailures >= threshold) {
      breaker = BreakerState.OPEN;
      // A little jitter keeps many nodes from probing a recovering upstream in lockstep.
      openUntilNanos = now + openNanos + ThreadLocalRandom.current().nextLong(openNanos / 10 + 1);
    }
    endProbe();
  }

  /** Rate limited: rest until {@code untilNanos} (from Retry-After or the default cooldown). */
  public synchronized void coolDown(long untilNanos) {
    inFlight.decrementAndGet();
    endProbe();
    if (!cooling || untilNanos - cooldownUntilNanos > 0) {
      cooldownUntilNanos = untilNanos;
      cooling = true;
    }
  }

  /**
   * Ends the half-open probe, but only when the attempt ending is the probe itself: a request
   * admitted before the breaker opened must not free the probe slot on its way out.
   */
  private void endProbe() {
    if (probe == Thread.currentThread()) {
      probeInFlight = false;
      probe = null;
    }
  }

  /** Nanoseconds until this deployment may take requests again (0 if it may now). */
  public synchronized long waitNanos(long now) {
    long wait = cooling ? Math.max(0, cooldownUntilNanos - now) : 0;
    if (breaker == BreakerState.OPEN) {
      wait = Math.max(wait, openUntilNanos - now);
    }
    return wait;
  }
}

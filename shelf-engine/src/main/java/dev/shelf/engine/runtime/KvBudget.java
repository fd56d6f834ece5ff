package dev.shelf.engine.runtime;

import java.util.LinkedHashSet;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A bound on the memory that KV caches take, shared by every sequence that reserves from it: a
 * server that admits one more request than fits fails that request with a clear error instead of
 * failing the process with an {@link OutOfMemoryError}.
 *
 * <p>A reservation larger than the whole budget can never be met and fails at once ({@link
 * TooLarge}); one that does not fit beside the reservations held now waits, first come first
 * served, until enough is released or the wait runs out ({@link Busy}). Reservations are released
 * by closing them, once each.
 *
 * <p>A reservation may be <em>parked</em> ({@link Reservation#park}): its holder is done with it
 * but would keep it while nobody needs the memory (a finished request's KV cache, kept for prefix
 * reuse). When the reservation whose turn it is does not fit, parked ones are reclaimed for it,
 * least recently parked first, whoever parked them: each holder is told ({@code onReclaim}) and the
 * reservation closed. So every holder of one budget (all the models of all the providers that share
 * it) gives way to a request of any other. Thread-safe.
 */
public final class KvBudget {
  private final long capacity;
  private final ReentrantLock lock = new ReentrantLock(true);
  private final Condition released = lock.newCondition();
  private long used;
  private long waiting; // the next ticket to hand out
  private long serving; // the ticket whose turn it is
  // Tickets given up while waiting: the line moves past them when their turn comes.
  private final TreeSet<Long> abandoned = new TreeSet<>();
  // Parked reservations, least recently parked first; guarded by lock.
  private final LinkedHashSet<Reservation> parked = new LinkedHashSet<>();

  /** A budget of {@code capacity} bytes (at least 1). */
  public KvBudget(long capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a KV cache budget must be positive but was " + capacity);
    }
    this.capacity = capacity;
  }

  public long capacity() {
    return capacity;
  }

  /** Bytes reserved now, parked reservations' included. */
  public long used() {
    lock.lock();
    try {
      return used;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reserves {@code bytes}, waiting at most {@code waitNanos} for them to be free; parked
   * reservations are reclaimed for it, least recently parked first, once it is its turn.
   *
   * @throws TooLarge if {@code bytes} exceeds the whole budget
   * @throws Busy if they were not free in time
   * @throws InterruptedException if interrupted while waiting
   */
  public Reservation reserve(long bytes, long waitNanos) throws InterruptedException {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0 but was " + bytes);
    }
    if (bytes > capacity) {
      throw new TooLarge(bytes, capacity);
    }
    lock.lockInterruptibly();
    try {
      long ticket = waiting++;
      long left = waitNanos;
      try {
        while (ticket != serving || used + bytes > capacity) {
          if (ticket == serving && reclaimOne()) {
            continue;
          }
          if (left <= 0) {
            throw new Busy(bytes, capacity, used);
          }
          left = released.awaitNanos(left);
        }
      } finally {
        if (ticket == serving) {
          serving++;
        } else {
          skip(ticket);
        }
        released.signalAll(); // the next in line may fit now, or must see its turn came
      }
      used += bytes;
      return new Reservation(bytes);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reclaims the least recently parked reservation, if any: its holder's {@code onReclaim} runs and
   * the reservation is closed, both outside the lock (the holder may take its own locks, and other
   * reservations may be released meanwhile). Called with the lock held; true if one was reclaimed.
   */
  private boolean reclaimOne() {
    var it = parked.iterator();
    if (!it.hasNext()) {
      return false;
    }
    Reservation victim = it.next();
    it.remove();
    Runnable onReclaim = victim.onReclaim;
    victim.onReclaim = null;
    lock.unlock();
    try {
      if (onReclaim != null) {
        onReclaim.run();
      }
    } finally {
      victim.close();
      lock.lock();
    }
    return true;
  }

  /** Bytes held by parked reservations now. */
  public long parked() {
    lock.lock();
    try {
      long bytes = 0;
      for (Reservation r : parked) {
        bytes += r.bytes();
      }
      return bytes;
    } finally {
      lock.unlock();
    }
  }

  private void skip(long ticket) {
    abandoned.add(ticket);
    advance();
  }

  private void advance() {
    while (abandoned.remove(serving)) {
      serving++;
    }
  }

  private void release(Reservation r, long bytes) {
    lock.lock();
    try {
      parked.remove(r);
      used -= bytes;
      advance();
      released.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Bytes held until closed. */
  public final class Reservation implements AutoCloseable {
    private long bytes;
    private boolean closed;
    // Set while parked; guarded by the budget's lock.
    private @Nullable Runnable onReclaim;

    private Reservation(long bytes) {
      this.bytes = bytes;
    }

    public synchronized long bytes() {
      return bytes;
    }

    /**
     * Moves {@code part} of these bytes into a reservation of their own, closed on its own: what
     * was reserved at once for several holders (all or nothing) is then given back by each.
     *
     * @throws IllegalArgumentException if {@code part} is negative or more than this holds
     * @throws IllegalStateException if this reservation is closed
     */
    public synchronized Reservation split(long part) {
      if (closed) {
        throw new IllegalStateException("the reservation is closed");
      }
      if (part < 0 || part > bytes) {
        throw new IllegalArgumentException(
            "cannot split " + part + " bytes from a reservation of " + bytes);
      }
      bytes -= part;
      return new Reservation(part);
    }

    /**
     * Parks this reservation: it stays held, but the budget may reclaim it for a reservation that
     * does not fit otherwise, after those parked before it. Then {@code onReclaim} runs (once, on
     * the reserving thread, without the budget's lock: the holder forgets what the memory held) and
     * the reservation is closed. Parking wakes the reservation waiting its turn, which may now
     * reclaim this one. A parked reservation the holder closes itself is simply released; parking
     * one already closed (by another thread of the holder) does nothing.
     *
     * @throws IllegalStateException if this reservation is already parked
     */
    public void park(Runnable onReclaim) {
      lock.lock();
      try {
        synchronized (this) {
          if (closed) {
            return;
          }
        }
        if (!parked.add(this)) {
          throw new IllegalStateException("the reservation is already parked");
        }
        this.onReclaim = onReclaim;
        released.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() {
      long held;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        held = bytes;
      }
      release(this, held);
    }
  }

  /** A reservation that can never fit: more than the whole budget. */
  public static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long bytes;
    private final long capacity;

    TooLarge(long bytes, long capacity) {
      super("needs " + mib(bytes) + " of KV cache but the whole budget is " + mib(capacity));
      this.bytes = bytes;
      this.capacity = capacity;
    }

    public long bytes() {
      return bytes;
    }

    public long capacity() {
      return capacity;
    }
  }

  /** A reservation that did not become free in time. */
  public static final class Busy extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Busy(long bytes, long capacity, long used) {
      super(
          "needs "
              + mib(bytes)
              + " of KV cache; "
              + mib(used)
              + " of the "
              + mib(capacity)
              + " budget is in use by other requests");
    }
  }

  /** Bytes as MiB for people, one decimal. */
  public static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
}

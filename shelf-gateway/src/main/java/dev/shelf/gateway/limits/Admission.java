package dev.shelf.gateway.limits;

import dev.shelf.api.ApiException;
import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Budget;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.Team;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Admits a request against its key's and its team's limits and budgets, before any upstream call.
 *
 * <p>Order: concurrency slots, then requests per minute, then tokens per minute (checked before,
 * counted after, since tokens are known only at the end), then budgets and a prepaid balance, where
 * the request's estimated cost is reserved. Whatever was taken is given back if a later check
 * refuses. The {@link Ticket} settles once: the actual cost replaces the reservation, tokens are
 * counted, slots are released; settling twice does nothing.
 *
 * <p>Budget guarantee: reservations are upper-bound estimates, and a request is admitted only if
 * its reservation fits what is left, except that when nothing is reserved a request may use the
 * last of a budget. So spend passes a budget by at most one request, on one node or on many sharing
 * Redis.
 */
public final class Admission {
  private final Counters counters;
  private final Ledger ledger;
  private final String currency;
  private final LongSupplier clock;

  public Admission(Counters counters, Ledger ledger, String currency, LongSupplier clock) {
    this.counters = counters;
    this.ledger = ledger;
    this.currency = currency;
    this.clock = clock;
  }

  public Counters counters() {
    return counters;
  }

  /** Admits or throws a 429 {@link ApiException}; the ticket must be settled in every case. */
  public Ticket admit(Principal p, long reserveNanos) {
    var t = new Ticket();
    try {
      ApiKey key = p.key();
      Team team = p.team();
      if (key != null) {
        slot(t, "conc:key:" + key.id(), key.limits(), "key");
      }
      if (team != null) {
        slot(t, "conc:team:" + team.id(), team.limits(), "team");
      }
      if (key != null) {
        rate(t, "key:" + key.id(), key.limits(), "key");
      }
      if (team != null) {
        rate(t, "team:" + team.id(), team.limits(), "team");
      }
      if (key != null && key.budget() != null) {
        budget(t, Ledger.Scope.KEY, key.id(), key.budget(), reserveNanos, "key");
      }
      if (team != null && team.budget() != null) {
        budget(t, Ledger.Scope.TEAM, team.id(), team.budget(), reserveNanos, "team");
      }
      if (team != null && team.creditNanos() != null) {
        credit(t, team, team.creditNanos(), reserveNanos);
      }
      return t;
    } catch (RuntimeException e) {
      t.settle(0, 0);
      throw e;
    }
  }

  private void slot(Ticket t, String key, Limits l, String who) {
    Integer max = l.maxConcurrent();
    if (max == null) {
      return;
    }
    if (!counters.tryAcquire(key, max)) {
      throw ApiException.rateLimited(
          "rate_limit_exceeded",
          "This " + who + " has " + max + " requests in flight already (its max_concurrent).",
          1);
    }
    t.slots.add(key);
  }

  private void rate(Ticket t, String key, Limits l, String who) {
    Integer rpm = l.rpm();
    if (rpm != null) {
      long wait = counters.tryWindow("rpm:" + key, 1, rpm);
      if (wait > 0) {
        throw ApiException.rateLimited(
            "rate_limit_exceeded",
            "Rate limit reached for this " + who + ": " + rpm + " requests per minute.",
            seconds(wait));
      }
    }
    Integer tpm = l.tpm();
    if (tpm != null) {
      long wait = counters.tryWindow("tpm:" + key, 0, tpm);
      if (wait > 0) {
        throw ApiException.rateLimited(
            "rate_limit_exceeded",
            "Rate limit reached for this " + who + ": " + tpm + " tokens per minute.",
            seconds(wait));
      }
      t.tokenWindows.add("tpm:" + key);
    }
  }

  private void budget(Ticket t, Ledger.Scope scope, String id, Budget b, long reserve, String who) {
    Instant now = Instant.ofEpochMilli(clock.getAsLong());
    long start = b.period().start(now);
    long end = b.period().end(now);
    String key =
        "budget:" + scope.name().toLowerCase(java.util.Locale.ROOT) + ":" + id + ":" + start;
    long expires = end == Long.MAX_VALUE ? Long.MAX_VALUE : end + 86_400_000L;
    if (!counters.tryReserve(
        key, reserve, b.amountNanos(), expires, () -> ledger.spent(scope, id, start, end))) {
      String when =
          switch (b.period()) {
            case DAY -> "; it resets at 00:00 UTC";
            case MONTH -> "; it resets on the first of the month, 00:00 UTC";
            case TOTAL -> "";
          };
      throw ApiException.quotaExceeded(
          "This "
              + who
              + "'s budget of "
              + Money.format(b.amountNanos(), currency)
              + (b.period() == Budget.Period.TOTAL ? "" : " per " + b.period().wire())
              + " is spent"
              + when
              + ".",
          end == Long.MAX_VALUE ? null : Math.max(1, (end - now.toEpochMilli()) / 1000));
    }
    t.reservations.add(new Reservation(key, reserve, expires));
  }

  private void credit(Ticket t, Team team, long credited, long reserve) {
    String key = "credit:team:" + team.id();
    if (!counters.tryReserve(
        key,
        reserve,
        credited,
        Long.MAX_VALUE,
        () -> ledger.spent(Ledger.Scope.TEAM, team.id(), 0, Long.MAX_VALUE))) {
      throw ApiException.quotaExceeded(
          "This team's prepaid balance is used up; top up or redeem a code to continue.", null);
    }
    t.reservations.add(new Reservation(key, reserve, Long.MAX_VALUE));
  }

  private static long seconds(long millis) {
    return Math.max(1, (millis + 999) / 1000);
  }

  private record Reservation(String key, long amount, long expiresAtMs) {}

  /** What one admitted request holds; settle it exactly once (further calls do nothing). */
  public final class Ticket {
    private final List<String> slots = new ArrayList<>(2);
    private final List<String> tokenWindows = new ArrayList<>(2);
    private final List<Reservation> reservations = new ArrayList<>(3);
    private final AtomicBoolean settled = new AtomicBoolean();

    /** The actual cost replaces the reservations; tokens count against the TPM windows. */
    public void settle(long actualNanos, long tokens) {
      if (!settled.compareAndSet(false, true)) {
        return;
      }
      for (Reservation r : reservations) {
        counters.settle(r.key, r.amount, actualNanos, r.expiresAtMs);
      }
      if (tokens > 0) {
        for (String w : tokenWindows) {
          counters.addWindow(w, tokens);
        }
      }
      for (String s : slots) {
        counters.release(s);
      }
    }

    public boolean reserved() {
      return !reservations.isEmpty();
    }
  }
}

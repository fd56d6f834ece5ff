package dev.shelf.gateway.limits;

import dev.shelf.api.ApiException;
import dev.shelf.gateway.limits.Counters.Release;
import dev.shelf.gateway.limits.Counters.Step;
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
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Admits a request against its key's and its team's limits and budgets, before any upstream call.
 *
 * <p>The checks: concurrency slots, requests per minute, tokens per minute (checked before, counted
 * after, since tokens are known only at the end), then budgets and a prepaid balance, where the
 * request's estimated cost is reserved. They go to the {@link Counters} as one list, checked and
 * taken all or nothing (on Redis: one atomic script, one round trip). The {@link Ticket} settles
 * once, again as one list: the actual cost replaces the reservation, tokens are counted, slots are
 * released; settling twice does nothing.
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
    var steps = new ArrayList<Step>(8);
    var refusals = new ArrayList<Supplier<ApiException>>(8);
    var t = new Ticket();
    ApiKey key = p.key();
    Team team = p.team();
    if (key != null) {
      slot(steps, refusals, t, "conc:key:" + key.id(), key.limits(), "key");
    }
    if (team != null) {
      slot(steps, refusals, t, "conc:team:" + team.id(), team.limits(), "team");
    }
    if (key != null) {
      rate(steps, refusals, t, "key:" + key.id(), key.limits(), "key");
    }
    if (team != null) {
      rate(steps, refusals, t, "team:" + team.id(), team.limits(), "team");
    }
    Instant now = Instant.ofEpochMilli(clock.getAsLong());
    if (key != null && key.budget() != null) {
      budget(
          steps, refusals, t, Ledger.Scope.KEY, key.id(), key.budget(), reserveNanos, now, "key");
    }
    if (team != null && team.budget() != null) {
      budget(
          steps,
          refusals,
          t,
          Ledger.Scope.TEAM,
          team.id(),
          team.budget(),
          reserveNanos,
          now,
          "team");
    }
    if (team != null && team.creditNanos() != null) {
      String k = "credit:team:" + team.id();
      steps.add(
          new Step.Reserve(
              k,
              reserveNanos,
              team.creditNanos(),
              Long.MAX_VALUE,
              () -> ledger.spent(Ledger.Scope.TEAM, team.id(), 0, Long.MAX_VALUE)));
      refusals.add(
          () ->
              ApiException.quotaExceeded(
                  "This team's prepaid balance is used up; top up or redeem a code to continue.",
                  null));
      t.reservations.add(new Reservation(k, reserveNanos, Long.MAX_VALUE));
    }
    if (steps.isEmpty()) {
      return t;
    }
    Counters.Verdict v = counters.admit(steps);
    if (!v.admitted()) {
      t.settled.set(true); // nothing was taken
      ApiException e = refusals.get(v.refused()).get();
      if (v.retryAfterMs() > 0 && "rate_limit_exceeded".equals(e.code())) {
        throw ApiException.rateLimited(
            "rate_limit_exceeded", String.valueOf(e.getMessage()), seconds(v.retryAfterMs()));
      }
      throw e;
    }
    return t;
  }

  private static void slot(
      List<Step> steps,
      List<Supplier<ApiException>> refusals,
      Ticket t,
      String key,
      Limits l,
      String who) {
    Integer max = l.maxConcurrent();
    if (max == null) {
      return;
    }
    steps.add(new Step.Slot(key, max));
    refusals.add(
        () ->
            ApiException.rateLimited(
                "rate_limit_exceeded",
                "This " + who + " has " + max + " requests in flight already (its max_concurrent).",
                1));
    t.slots.add(key);
  }

  private static void rate(
      List<Step> steps,
      List<Supplier<ApiException>> refusals,
      Ticket t,
      String key,
      Limits l,
      String who) {
    Integer rpm = l.rpm();
    if (rpm != null) {
      steps.add(new Step.Window("rpm:" + key, 1, rpm));
      refusals.add(
          () ->
              ApiException.rateLimited(
                  "rate_limit_exceeded",
                  "Rate limit reached for this " + who + ": " + rpm + " requests per minute.",
                  1));
    }
    Integer tpm = l.tpm();
    if (tpm != null) {
      steps.add(new Step.Window("tpm:" + key, 0, tpm));
      refusals.add(
          () ->
              ApiException.rateLimited(
                  "rate_limit_exceeded",
                  "Rate limit reached for this " + who + ": " + tpm + " tokens per minute.",
                  1));
      t.tokenWindows.add("tpm:" + key);
    }
  }

  private void budget(
      List<Step> steps,
      List<Supplier<ApiException>> refusals,
      Ticket t,
      Ledger.Scope scope,
      String id,
      Budget b,
      long reserve,
      Instant now,
      String who) {
    long start = b.period().start(now);
    long end = b.period().end(now);
    String key = "budget:" + scope.name().toLowerCase(Locale.ROOT) + ":" + id + ":" + start;
    long expires = end == Long.MAX_VALUE ? Long.MAX_VALUE : end + 86_400_000L;
    steps.add(
        new Step.Reserve(
            key, reserve, b.amountNanos(), expires, () -> ledger.spent(scope, id, start, end)));
    refusals.add(
        () -> {
          String when =
              switch (b.period()) {
                case DAY -> "; it resets at 00:00 UTC";
                case MONTH -> "; it resets on the first of the month, 00:00 UTC";
                case TOTAL -> "";
              };
          return ApiException.quotaExceeded(
              "This "
                  + who
                  + "'s budget of "
                  + Money.format(b.amountNanos(), currency)
                  + (b.period() == Budget.Period.TOTAL ? "" : " per " + b.period().wire())
                  + " is spent"
                  + when
                  + ".",
              end == Long.MAX_VALUE ? null : Math.max(1, (end - now.toEpochMilli()) / 1000));
        });
    t.reservations.add(new Reservation(key, reserve, expires));
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
      var ops = new ArrayList<Release>(slots.size() + tokenWindows.size() + reservations.size());
      for (Reservation r : reservations) {
        ops.add(new Release.Settle(r.key, r.amount, actualNanos, r.expiresAtMs));
      }
      if (tokens > 0) {
        for (String w : tokenWindows) {
          ops.add(new Release.AddWindow(w, tokens));
        }
      }
      for (String s : slots) {
        ops.add(new Release.Slot(s));
      }
      if (!ops.isEmpty()) {
        counters.release(ops);
      }
    }
  }
}

package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.api.Usage;
import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.Shelf;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.limits.Admission;
import dev.shelf.gateway.metering.Meter;
import dev.shelf.gateway.metering.Pricing;
import dev.shelf.gateway.metering.UsageRecord;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.gateway.routing.Route;
import dev.shelf.gateway.tenancy.Principal;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Limits, budgets and metering on the request path.
 *
 * <ol>
 *   <li>{@link #admit}, once the model is known: the key's and team's limits, and a reservation of
 *       the most the request can cost (the body's UTF-8 bytes bound its prompt tokens from above;
 *       the completion is bounded by {@code max_tokens}, else the model's output limit, else 4,096
 *       tokens), priced at the dearest deployment that may serve it.
 *   <li>{@link #settle}, after the upstream finished and before the last bytes go out: the usage
 *       (reported, or estimated and marked so) is priced at the serving deployment's price, the
 *       record is committed through the group-commit {@link Meter}, and only then is the
 *       reservation replaced by the actual cost.
 *   <li>{@link #finish}, whatever happened: a request that failed still gets its record (status and
 *       error code, cost zero unless a stream broke after tokens were billed), written without
 *       waiting, and its reservation is released.
 * </ol>
 *
 * With no {@link Accounts} (the benchmark's "metering off" mode) all three do nothing but keep the
 * exchange's usage for headers and logs.
 */
final class Billing implements AutoCloseable {
  private static final int DEFAULT_OUTPUT_RESERVE = 4_096;

  /** The endpoints whose every authenticated request gets a ledger record. */
  private static final java.util.Set<String> BILLED =
      java.util.Set.of("chat", "completions", "embeddings", "messages");

  private final @Nullable Admission admission;
  private final @Nullable Meter meter;
  private final Pricing pricing;

  private final java.util.concurrent.@Nullable ScheduledExecutorService purger;

  Billing(
      @Nullable Accounts accounts,
      Pricing pricing,
      int maxBatch,
      java.time.@Nullable Duration retention) {
    this.pricing = pricing;
    this.admission =
        accounts == null
            ? null
            : new Admission(
                accounts.counters(),
                accounts.ledger(),
                pricing.currency(),
                System::currentTimeMillis);
    this.meter =
        accounts == null
            ? null
            : new Meter(accounts.ledger(), maxBatch, java.time.Duration.ofSeconds(30));
    if (accounts != null && retention != null) {
      // Raw records older than the retention go; the daily rollups (reports, budgets) stay.
      var ledger = accounts.ledger();
      long keep = retention.toMillis();
      this.purger =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().daemon().name("shelf-ledger-retention").unstarted(r));
      purger.scheduleWithFixedDelay(
          () -> {
            try {
              ledger.purge(System.currentTimeMillis() - keep);
            } catch (RuntimeException e) {
              System.getLogger("shelf.metering")
                  .log(System.Logger.Level.WARNING, "retention purge failed: " + e.getMessage());
            }
          },
          1,
          60,
          java.util.concurrent.TimeUnit.MINUTES);
    } else {
      this.purger = null;
    }
  }

  Pricing pricing() {
    return pricing;
  }

  /** Checks limits and reserves the request's most expensive outcome; throws a 429 if refused. */
  void admit(
      Exchange ex,
      Principal p,
      Shelf shelf,
      String model,
      long bodyBytes,
      @Nullable Integer maxOut) {
    ex.billedTo(p.keyId(), p.teamId());
    if (admission == null || (p.key() == null && p.team() == null)) {
      return; // master, file and anonymous keys carry no limits or budgets
    }
    long reserve = 0;
    Route route = shelf.route(model);
    if (route != null) {
      for (Deployment d : route.targets()) {
        ModelSpec spec = d.spec();
        long out =
            maxOut != null
                ? maxOut
                : spec.maxOutput() != null ? spec.maxOutput() : DEFAULT_OUTPUT_RESERVE;
        reserve = Math.max(reserve, cost(spec.price(), bodyBytes, out, 0));
      }
    }
    ex.ticket(admission.admit(p, reserve));
  }

  /** Chooses the usage to bill, commits its record and settles; returns the usage. */
  Usage settle(Exchange ex, @Nullable Usage reported, Supplier<Usage> estimate) {
    Usage u = reported != null ? reported : estimate.get();
    ex.usage(u, reported == null);
    if (meter == null) {
      return u;
    }
    long cost = costOf(ex, u);
    UsageRecord r = record(ex, u, cost, 200, null);
    try {
      meter.record(r);
    } catch (Meter.LedgerException e) {
      throw new ApiException(
          503,
          "server_error",
          "ledger_unavailable",
          null,
          "The usage ledger could not record this request, so it was not completed; retry.",
          1L);
    }
    ex.recorded(true);
    Admission.Ticket t = ex.ticket();
    if (t != null) {
      t.settle(cost, u.totalTokens());
    }
    return u;
  }

  /** Records a request that did not settle (an error), and releases what it held. */
  void finish(Exchange ex) {
    Admission.Ticket t = ex.ticket();
    if (meter == null || ex.recorded() || !BILLED.contains(ex.endpoint())) {
      if (t != null) {
        t.settle(0, 0);
      }
      return;
    }
    Usage u = ex.usage();
    long cost = u == null ? 0 : costOf(ex, u);
    meter.submit(
        record(ex, u == null ? new Usage(0, 0, null, null) : u, cost, ex.status(), ex.errorCode()));
    ex.recorded(true);
    if (t != null) {
      t.settle(cost, u == null ? 0 : u.totalTokens());
    }
  }

  private long costOf(Exchange ex, Usage u) {
    return cost(ex.price(), u.promptTokens(), u.completionTokens(), cached(u));
  }

  private long cost(@Nullable Price price, long prompt, long completion, long cached) {
    return price == null || !pricing.converts(price.currency())
        ? 0
        : pricing.cost(price, prompt, completion, cached);
  }

  private static int cached(Usage u) {
    Integer c = u.cachedTokens();
    return c == null ? 0 : c;
  }

  private static UsageRecord record(
      Exchange ex, Usage u, long cost, int status, @Nullable String error) {
    long now = System.nanoTime();
    String model = ex.servedModel() != null ? ex.servedModel() : ex.model();
    return new UsageRecord(
        ex.requestId(),
        System.currentTimeMillis(),
        ex.keyId(),
        ex.teamId(),
        ex.endpoint(),
        model == null ? "" : model,
        ex.deployment(),
        u.promptTokens(),
        u.completionTokens(),
        cached(u),
        cost,
        ex.usageEstimated(),
        (int) ((now - ex.startNanos()) / 1_000_000),
        (int) (ex.firstByteNanos() / 1_000_000),
        status,
        error);
  }

  @Override
  public void close() {
    if (purger != null) {
      purger.shutdownNow();
    }
    if (meter != null) {
      meter.close();
    }
  }
}

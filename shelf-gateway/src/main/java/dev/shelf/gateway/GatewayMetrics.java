package dev.shelf.gateway;

import dev.shelf.api.Usage;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.gateway.routing.DeploymentHealth;
import dev.shelf.providers.spi.ProviderException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's Prometheus metrics: requests, latency and time to first token (histograms), tokens,
 * upstream errors, retries, fallbacks and breaker states, by model and deployment.
 */
public final class GatewayMetrics {
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, AtomicInteger> breakerStates = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("shelf_requests_in_flight", inFlight, AtomicInteger::get)
        .description("Requests being served now")
        .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void started() {
    inFlight.incrementAndGet();
  }

  /** Records a finished request (any endpoint, any outcome). */
  public void finished(Exchange ex) {
    inFlight.decrementAndGet();
    String model = tag(ex.model());
    String deployment = tag(ex.deployment());
    Counter.builder("shelf_requests")
        .description("Requests by endpoint, model, deployment and status")
        .tags(
            "endpoint",
            ex.endpoint(),
            "model",
            model,
            "deployment",
            deployment,
            "status",
            Integer.toString(ex.status()))
        .register(registry)
        .increment();
    Timer.builder("shelf_request_duration")
        .description("Time from arrival to the last byte")
        .tags("endpoint", ex.endpoint(), "model", model)
        .publishPercentileHistogram()
        .serviceLevelObjectives(
            Duration.ofMillis(1),
            Duration.ofMillis(10),
            Duration.ofMillis(100),
            Duration.ofSeconds(1),
            Duration.ofSeconds(10))
        .register(registry)
        .record(System.nanoTime() - ex.startNanos(), TimeUnit.NANOSECONDS);
    Usage u = ex.usage();
    if (u != null) {
      tokens(model, deployment, "prompt", u.promptTokens());
      tokens(model, deployment, "completion", u.completionTokens());
      if (u.cachedTokens() != null) {
        tokens(model, deployment, "cached", u.cachedTokens());
      }
    }
  }

  private void tokens(String model, String deployment, String type, int n) {
    Counter.builder("shelf_tokens")
        .description("Tokens by model, deployment and type")
        .tags("model", model, "deployment", deployment, "type", type)
        .register(registry)
        .increment(n);
  }

  void ttft(Exchange ex, Deployment d) {
    if (ex.firstByteNanos() > 0) {
      Timer.builder("shelf_time_to_first_token")
          .description("Time from arrival to the first upstream chunk")
          .tags("model", tag(ex.model()), "deployment", d.id())
          .publishPercentileHistogram()
          .register(registry)
          .record(ex.firstByteNanos(), TimeUnit.NANOSECONDS);
    }
  }

  void upstreamError(String deployment, ProviderException.Kind kind) {
    Counter.builder("shelf_upstream_errors")
        .description("Failed upstream attempts by deployment and kind")
        .tags("deployment", deployment, "kind", kind.name().toLowerCase(java.util.Locale.ROOT))
        .register(registry)
        .increment();
  }

  void retry(@Nullable String model, String deployment) {
    Counter.builder("shelf_retries")
        .description("Attempts after the first")
        .tags("model", tag(model), "deployment", deployment)
        .register(registry)
        .increment();
  }

  void fallback(String model, String to) {
    Counter.builder("shelf_fallbacks")
        .description("Fallbacks from a model to another")
        .tags("model", model, "to", to)
        .register(registry)
        .increment();
  }

  /** After a success: a deployment whose breaker was tracked shows closed again. */
  void breakerRecovered(Deployment d) {
    AtomicInteger g = breakerStates.get(d.id());
    if (g != null && g.get() != 0) {
      g.set(0);
    }
  }

  /** Publishes a deployment's breaker state: 0 closed, 1 half-open, 2 open. */
  void breaker(Deployment d) {
    AtomicInteger g =
        breakerStates.computeIfAbsent(
            d.id(),
            id -> {
              var v = new AtomicInteger();
              Gauge.builder("shelf_breaker_state", v, AtomicInteger::get)
                  .description("Circuit breaker: 0 closed, 1 half-open, 2 open")
                  .tags("deployment", id)
                  .register(registry);
              return v;
            });
    DeploymentHealth.BreakerState s = d.health().breaker(System.nanoTime());
    g.set(s.ordinal());
  }

  public void size(String name, double value) {
    DistributionSummary.builder(name).register(registry).record(value);
  }

  private static String tag(@Nullable String v) {
    return Objects.requireNonNullElse(v, "none");
  }
}

package dev.shelf.gateway;

import dev.shelf.api.ApiException;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.gateway.config.ShelfConfig.Resilience;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.gateway.routing.Picker;
import dev.shelf.gateway.routing.Route;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.ClientGoneException;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The request path from a decoded request to a provider and back: resolve the public name to a
 * route, try its deployments in the strategy's order with retries, then its fallbacks.
 *
 * <p>Invariants: a retry or fallback happens only while the client has received nothing (the
 * listener is not committed), so no client ever sees duplicated content; every attempt acquires and
 * releases exactly one permit of its deployment's health; the client-visible error after the last
 * attempt is derived from the last upstream failure, never its raw body.
 */
public final class Gateway {
  private final Supplier<Shelf> shelf;
  private final GatewayMetrics metrics;

  public Gateway(Supplier<Shelf> shelf, GatewayMetrics metrics) {
    this.shelf = shelf;
    this.metrics = metrics;
  }

  public Shelf shelf() {
    return shelf.get();
  }

  /** An upstream call made on one deployment for one attempt. */
  @FunctionalInterface
  private interface Invocation<C> {
    void invoke(Deployment d, Call call, ChunkSink<C> sink);
  }

  public void chat(Exchange ex, ChatRequest request, StreamListener<ChatChunk> listener) {
    int promptEstimate = Tokens.estimate(request);
    run(
        ex,
        request.model(),
        promptEstimate,
        (d, call, sink) -> d.provider().chat(request.withModel(d.spec().upstream()), call, sink),
        ex.audit().chat(listener)); // the content audit keeps the generated text, if it should
  }

  public void completion(
      Exchange ex, CompletionRequest request, StreamListener<CompletionChunk> listener) {
    run(
        ex,
        request.model(),
        0,
        (d, call, sink) ->
            d.provider().completion(request.withModel(d.spec().upstream()), call, sink),
        ex.audit().completion(listener));
  }

  public EmbeddingResponse embed(Exchange ex, EmbeddingRequest request) {
    var holder = new java.util.concurrent.atomic.AtomicReference<@Nullable EmbeddingResponse>();
    run(
        ex,
        request.model(),
        0,
        (d, call, sink) ->
            sink.accept(d.provider().embed(request.withModel(d.spec().upstream()), call)),
        new StreamListener<EmbeddingResponse>() {
          @Override
          public void begin(Exchange e, Deployment d) {}

          @Override
          public void chunk(EmbeddingResponse r) {
            holder.set(r);
          }

          @Override
          public boolean committed() {
            return false;
          }

          @Override
          public void reset() {
            holder.set(null);
          }
        });
    EmbeddingResponse r = holder.get();
    if (r == null) {
      throw ApiException.internal("the provider returned no embeddings");
    }
    return r;
  }

  private <C> void run(
      Exchange ex,
      String model,
      int promptEstimate,
      Invocation<C> invocation,
      StreamListener<C> listener) {
    Shelf current = shelf.get();
    ex.model(model);
    Route first = current.route(model);
    if (first == null) {
      throw ApiException.modelNotFound(model);
    }
    Resilience res = current.config().resilience();
    var queue = new ArrayDeque<Route>();
    var seen = new HashSet<String>();
    queue.add(first);
    seen.add(first.id());
    ProviderException last = null;
    long earliestRetry = Long.MAX_VALUE;
    boolean firstRoute = true;
    while (!queue.isEmpty()) {
      Route route = queue.poll();
      if (!firstRoute) {
        ex.fallback();
        metrics.fallback(model, route.id());
      }
      firstRoute = false;
      for (String f : route.fallbacks()) {
        Route fr = current.route(f);
        if (fr != null && seen.add(fr.id())) {
          queue.add(fr);
        }
      }
      Outcome outcome = tryRoute(ex, route, res, promptEstimate, invocation, listener);
      if (outcome.done) {
        return;
      }
      if (outcome.failure != null) {
        last = outcome.failure;
        if (!last.retryable()
            && last.kind() != Kind.CONTEXT_LENGTH
            && last.kind() != Kind.AUTH
            && last.kind() != Kind.NOT_FOUND) {
          break; // the client's request is at fault: another model would refuse it too
        }
      }
      earliestRetry = Math.min(earliestRetry, outcome.waitNanos);
    }
    throw clientError(last, earliestRetry);
  }

  private record Outcome(boolean done, @Nullable ProviderException failure, long waitNanos) {}

  private <C> Outcome tryRoute(
      Exchange ex,
      Route route,
      Resilience res,
      int promptEstimate,
      Invocation<C> invocation,
      StreamListener<C> listener) {
    long now = System.nanoTime();
    List<Deployment> order = new java.util.ArrayList<>(Picker.order(route, now));
    ProviderException last = null;
    long wait = Long.MAX_VALUE;
    int attemptsHere = 0;
    int index = 0;
    Deployment previous = null;
    while (attemptsHere < res.maxAttempts() && !order.isEmpty()) {
      Deployment d = order.get(index % order.size());
      index++;
      Integer context = d.spec().context();
      if (context != null && promptEstimate > context) {
        last =
            new ProviderException(
                Kind.CONTEXT_LENGTH,
                "The prompt (about "
                    + promptEstimate
                    + " tokens) exceeds the context window of "
                    + d.spec().id()
                    + " ("
                    + context
                    + " tokens).",
                "context_length_exceeded",
                "messages",
                0,
                null,
                null);
        if (index >= order.size()) {
          break;
        }
        continue;
      }
      if (d == previous || index > order.size()) {
        backoff(res, attemptsHere, last);
      }
      now = System.nanoTime();
      if (!d.health().acquire(now)) {
        wait = Math.min(wait, d.health().waitNanos(now));
        if (index >= order.size() && attemptsHere == 0) {
          break; // nothing healthy here now: fall back rather than spin
        }
        if (index >= 2 * order.size()) {
          break;
        }
        continue;
      }
      attemptsHere++;
      ex.attempt();
      if (ex.attempts() > 1) {
        metrics.retry(ex.model(), d.id());
      }
      previous = d;
      try {
        attempt(ex, d, res, invocation, listener);
        return new Outcome(true, null, 0);
      } catch (ProviderException e) {
        last = e;
        metrics.upstreamError(d.id(), e.kind());
        if (listener.committed()) {
          throw new StreamBrokenException(e);
        }
        listener.reset();
        if (!e.retryable()) {
          if (e.kind() == Kind.AUTH || e.kind() == Kind.NOT_FOUND) {
            // This deployment is misconfigured: asking it again cannot help; others may be fine.
            order.remove(d);
            index = 0;
            previous = null;
            continue;
          }
          return new Outcome(false, e, wait);
        }
      }
    }
    return new Outcome(false, last, wait);
  }

  private <C> void attempt(
      Exchange ex,
      Deployment d,
      Resilience res,
      Invocation<C> invocation,
      StreamListener<C> listener) {
    long start = System.nanoTime();
    Call call = Call.start(ex.requestId(), res.firstTokenTimeout(), res.totalTimeout());
    var first = new boolean[] {true};
    try {
      invocation.invoke(
          d,
          call,
          chunk -> {
            if (first[0]) {
              first[0] = false;
              call.firstChunk();
              ex.firstByte();
              ex.served(d.spec().id(), d.id());
              ex.price(d.spec().price());
              listener.begin(ex, d);
            }
            listener.chunk(chunk);
          });
      call.finish();
      d.health().success(System.nanoTime() - start);
      metrics.ttft(ex, d);
      metrics.breakerRecovered(d);
    } catch (ProviderException e) {
      call.finish();
      long now = System.nanoTime();
      switch (e.kind()) {
        case RATE_LIMITED -> {
          Long ra = e.retryAfterMillis();
          long cool = ra != null ? TimeUnit.MILLISECONDS.toNanos(ra) : res.cooldown().toNanos();
          d.health().coolDown(now + cool);
        }
        case BAD_REQUEST, CONTEXT_LENGTH, CONTENT_FILTER, CANCELLED -> d.health().neutral();
        default -> {
          d.health().failure(now, res.breakerFailures(), res.breakerOpen().toNanos());
          metrics.breaker(d);
        }
      }
      throw e;
    } catch (ClientGoneException e) {
      call.finish();
      d.health().neutral();
      ex.fail(499, "client_closed_request");
      throw e;
    } catch (RuntimeException e) {
      call.finish();
      d.health().neutral();
      throw e;
    }
  }

  private static void backoff(Resilience res, int attempt, @Nullable ProviderException last) {
    long base = res.backoffBase().toMillis();
    long cap = res.backoffMax().toMillis();
    long ceiling = Math.min(cap, base << Math.min(attempt, 20));
    long sleep = ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1); // jitter
    if (last != null && last.retryAfterMillis() != null) {
      sleep = Math.max(sleep, Math.min(cap, last.retryAfterMillis()));
    }
    try {
      Thread.sleep(sleep);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientGoneException(e);
    }
  }

  /** The error the client sees after every attempt failed. */
  static ApiException clientError(@Nullable ProviderException last, long waitNanos) {
    if (last == null) {
      Long retry =
          waitNanos == Long.MAX_VALUE
              ? null
              : Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNanos) + 1);
      return ApiException.unavailable(
          "no_healthy_deployment",
          "Every deployment of this model is cooling down or failing; try again shortly.",
          retry);
    }
    String msg = last.getMessage() == null ? "upstream error" : last.getMessage();
    return switch (last.kind()) {
      case BAD_REQUEST ->
          new ApiException(400, "invalid_request_error", last.code(), last.param(), msg, null);
      case CONTEXT_LENGTH ->
          new ApiException(
              400, "invalid_request_error", "context_length_exceeded", "messages", msg, null);
      case CONTENT_FILTER ->
          new ApiException(
              400, "invalid_request_error", "content_policy_violation", null, msg, null);
      case RATE_LIMITED ->
          ApiException.rateLimited(
              "rate_limit_exceeded",
              "The upstream is rate limiting this model; try again later.",
              last.retryAfterMillis() == null
                  ? 1
                  : Math.max(1, (last.retryAfterMillis() + 999) / 1000));
      case TIMEOUT ->
          new ApiException(
              504,
              "server_error",
              "upstream_timeout",
              null,
              "The upstream did not answer in time: " + msg,
              null);
      case CANCELLED ->
          new ApiException(499, "server_error", "client_closed_request", null, msg, null);
      case AUTH, NOT_FOUND ->
          new ApiException(502, "server_error", "upstream_misconfigured", null, msg, null);
      case CONNECT, UNAVAILABLE, BROKEN_STREAM ->
          new ApiException(
              502, "server_error", "upstream_error", null, "The upstream failed: " + msg, null);
    };
  }
}

package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunkCodec;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.Gateway;
import dev.shelf.gateway.GatewayMetrics;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.StreamBrokenException;
import dev.shelf.gateway.config.SecretBox;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.metering.Pricing;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.guard.policy.RequestTexts;
import dev.shelf.providers.spi.ClientGoneException;
import dev.shelf.providers.spi.ProviderException;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The Shelf HTTP server: the OpenAI-compatible API under {@code /v1}, {@code /health}, {@code
 * /metrics}. Each request runs on its own virtual thread, blocking, from body to last byte.
 *
 * <p>Shutdown is graceful: once {@link #stop()} begins, new requests get 503 while those in flight
 * (streams included) have up to the configured grace period to finish.
 */
public final class ShelfServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.server");

  private final ShelfRuntime runtime;
  private final Gateway gateway;
  private final GatewayMetrics metrics;
  private final PrometheusMeterRegistry registry;
  private final Keys keys;
  private final Billing billing;
  private final Guard guard;
  private final Audit audit;
  private final @Nullable AdminApi admin;
  private final @Nullable EvalsApi evals;
  private final @Nullable AccessLog accessLog;
  private final Labels labels;
  private final long maxBody;
  private final Duration grace;
  private final int maxInFlight;
  private final long created = System.currentTimeMillis() / 1000;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final WebServer server;

  private ShelfServer(
      ShelfRuntime runtime,
      Keys keys,
      @Nullable Accounts accounts,
      String host,
      int port,
      @Nullable PrintStream log,
      byte[] labelKey) {
    this.runtime = runtime;
    ShelfConfig config = runtime.config();
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.metrics = new GatewayMetrics(registry);
    this.gateway = new Gateway(runtime::shelf, metrics);
    this.keys = keys;
    this.billing =
        new Billing(
            accounts,
            new Pricing(config.billing().currency(), config.billing().rates()),
            config.billing().maxBatch(),
            config.billing().retention());
    this.guard = new Guard(runtime, accounts, keys, gateway, registry);
    this.audit =
        new Audit(
            accounts == null ? null : accounts.audit(),
            config.audit(),
            config.billing().maxBatch());
    this.admin =
        accounts == null ? null : new AdminApi(this, runtime, accounts, billing.pricing(), keys);
    this.evals = EvalsApi.of(this, runtime, accounts, keys);
    this.accessLog = log == null || !config.server().accessLog() ? null : new AccessLog(log);
    this.labels = new Labels(() -> runtime.config().labels(), labelKey);
    this.maxBody = config.server().maxBodyBytes();
    this.grace = config.server().shutdownGrace();
    this.maxInFlight = config.server().maxInFlight();
    this.server =
        WebServer.builder()
            .host(host)
            .port(port)
            .backlog(4096)
            .connectionOptions(o -> o.tcpNoDelay(true)) // each SSE event leaves at once
            .maxPayloadSize(-1)
            .shutdownGracePeriod(Duration.ofMillis(100))
            .shutdownHook(false) // ours drains requests first, see stop()
            .routing(this::routes)
            .build();
  }

  /** Starts a server without accounts: no stored keys, limits or ledger (benchmarks' baseline). */
  public static ShelfServer start(ShelfRuntime runtime, @Nullable PrintStream accessLog) {
    return start(runtime, null, accessLog);
  }

  /**
   * Starts a server whose AIGC labels are signed with a key of this process only: they verify until
   * it stops. {@code shelf serve} passes the secret key instead.
   */
  public static ShelfServer start(
      ShelfRuntime runtime, @Nullable Accounts accounts, @Nullable PrintStream accessLog) {
    return start(runtime, accounts, accessLog, null);
  }

  /**
   * Starts a server. With no keys configured it listens on loopback only, whatever the host says:
   * nothing is ever open to the network without a key. AIGC labels are signed with a key derived
   * from {@code secrets} (so they verify after a restart and on every node that shares it), or with
   * one of this process only when it is null.
   */
  public static ShelfServer start(
      ShelfRuntime runtime,
      @Nullable Accounts accounts,
      @Nullable PrintStream accessLog,
      @Nullable SecretBox secrets) {
    ShelfConfig.Server s = runtime.config().server();
    String host = s.host();
    var keys = new Keys(runtime.config(), accounts == null ? null : accounts.store());
    if (keys.open() && !isLoopback(host)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "no master key or client keys are set, so Shelf"
              + " listens on 127.0.0.1 only (not "
              + host
              + "); set SHELF_MASTER_KEY to serve the"
              + " network");
      host = "127.0.0.1";
    }
    byte[] labelKey =
        secrets == null ? Labels.ephemeralKey() : secrets.deriveKey(Labels.KEY_PURPOSE);
    var server = new ShelfServer(runtime, keys, accounts, host, s.port(), accessLog, labelKey);
    server.server.start();
    if (server.evals != null) {
      server.evals.start(); // resumes the evaluation runs left unfinished
    }
    return server;
  }

  private static boolean isLoopback(String host) {
    return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
  }

  public int port() {
    return server.port();
  }

  public boolean open() {
    return keys.open();
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  Labels labels() {
    return labels;
  }

  private void routes(HttpRouting.Builder r) {
    var messages = new MessagesEndpoint(this, gateway, maxBody);
    var moderations = new ModerationsEndpoint(this, maxBody);
    r.post("/v1/chat/completions", this::chat)
        .post("/v1/moderations", moderations::create)
        .post("/v1/messages", messages::create)
        .post("/v1/messages/count_tokens", messages::countTokens)
        .post("/v1/completions", this::completion)
        .post("/v1/embeddings", this::embeddings)
        .get("/v1/models", this::models)
        .get("/v1/models/*", this::model)
        .get("/health", (req, res) -> health(res, true))
        .get("/health/live", (req, res) -> health(res, false))
        .get("/health/ready", (req, res) -> health(res, true))
        .get("/metrics", this::scrape);
    if (admin != null) {
      admin.routes(r);
    }
    if (evals != null) {
      evals.routes(r);
    }
    labels.routes(r, this);
    r.any(
        "/v1/*",
        (req, res) -> {
          Http.error(
              res,
              ApiException.notFound(
                  "unknown_url",
                  "Unknown request URL: "
                      + req.prologue().method().text()
                      + " "
                      + req.path().path()
                      + "."));
        });
  }

  /** The shared frame of every /v1 request: id, draining, auth, errors, log, metrics. */
  @FunctionalInterface
  interface Body {
    void handle(Exchange ex, Principal caller);
  }

  /** Writes an error in an endpoint's protocol (OpenAI's by default). */
  @FunctionalInterface
  interface ErrorWriter {
    void write(ServerResponse res, ApiException e);
  }

  private void serve(ServerRequest req, ServerResponse res, String endpoint, Body body) {
    serve(req, res, endpoint, Http::error, body);
  }

  void serve(
      ServerRequest req, ServerResponse res, String endpoint, ErrorWriter errors, Body body) {
    String id = Http.requestId(req);
    res.header("x-request-id", id);
    int now = inFlight.incrementAndGet();
    metrics.started();
    Exchange ex = new Exchange(id, endpoint, null);
    try {
      if (draining.get()) {
        throw ApiException.unavailable(
            "server_shutting_down", "This Shelf node is shutting down; retry on another.", 1L);
      }
      if (now > maxInFlight) {
        // Shed load at once rather than queue: a fast 503 beats a multi-second wait.
        throw ApiException.unavailable(
            "server_overloaded",
            "This Shelf node is serving " + maxInFlight + " requests already; retry shortly.",
            1L);
      }
      Principal caller =
          keys.authenticate(
              req.headers().first(HeaderNames.AUTHORIZATION).orElse(null),
              req.headers().first(HeaderNames.create("x-api-key")).orElse(null));
      ex = new Exchange(id, endpoint, caller.name());
      ex.billedTo(caller.keyId(), caller.teamId());
      audit.begin(ex, caller); // content audit: the team's mode
      body.handle(ex, caller);
    } catch (ApiException e) {
      ex.fail(e.status(), e.code());
      if (!res.isSent()) {
        Http.shelfHeaders(res, ex);
        errors.write(res, e);
      }
    } catch (ClientGoneException | io.helidon.webserver.CloseConnectionException e) {
      ex.fail(499, "client_closed_request");
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "request " + id + " failed", e);
      ex.fail(500, "internal_error");
      if (!res.isSent()) {
        errors.write(
            res,
            ApiException.internal(
                "Shelf failed to handle this request (request id "
                    + id
                    + "); the error is logged."));
      }
    } finally {
      try {
        billing.finish(ex);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "request " + id + ": usage not recorded", e);
      }
      audit.finish(ex); // content audit: queued, never waits
      metrics.finished(ex);
      if (accessLog != null) {
        accessLog.log(ex, req.prologue().method().text(), req.path().path());
      }
      inFlight.decrementAndGet();
    }
  }

  private void chat(ServerRequest req, ServerResponse res) {
    serve(
        req,
        res,
        "chat",
        (ex, caller) -> {
          byte[] body = Http.body(req, maxBody);
          ChatRequest cr = ChatRequestCodec.read(Json.parse(body));
          ex.audit().input(cr);
          admit(ex, caller, cr.model(), body.length, cr.outputLimit());
          Guard.Check check = guard.check(ex, caller, RequestTexts.of(cr));
          ChatRequest sent = guarded(cr, check);
          String id = "chatcmpl-" + ex.requestId();
          if (cr.stream()) {
            var sse = new SseListener<>(res, ChunkKind.CHAT, id, cr.includeUsage());
            var labeled = labels.streaming(ex, res, sse, LabelStream.CHAT, false);
            streamed(
                ex,
                sse,
                labeled,
                () -> {
                  gateway.chat(ex, sent, check.chat(labeled));
                  check.done(ex);
                },
                () -> Estimates.streamed(Estimates.chat(cr, null), sse.relayedBytes()));
          } else {
            var collector = new Collector<ChatChunk, ChatAggregator>(ChatAggregator::new);
            var labeled = labels.collecting(ex, collector, LabelStream.CHAT, false);
            gateway.chat(ex, sent, check.chat(labeled));
            check.done(ex);
            ChatCompletion whole = collector.aggregate().result();
            Usage usage = settle(ex, whole.usage(), () -> Estimates.chat(cr, whole));
            var out =
                new ChatCompletion(
                    id,
                    created(whole.created()),
                    ex.servedModel() == null ? cr.model() : ex.servedModel(),
                    whole.systemFingerprint(),
                    whole.choices(),
                    usage);
            Http.shelfHeaders(res, ex);
            Http.json(res, 200, labeled.sealBody(res, ChatChunkCodec.writeCompletion(out)));
          }
        });
  }

  private void completion(ServerRequest req, ServerResponse res) {
    serve(
        req,
        res,
        "completions",
        (ex, caller) -> {
          byte[] body = Http.body(req, maxBody);
          CompletionRequest cr = CompletionRequest.read(Json.parse(body));
          ex.audit().input(cr);
          admit(ex, caller, cr.model(), body.length, cr.maxTokens());
          List<String> texts = RequestTexts.of(cr.prompt());
          Guard.Check check = guard.check(ex, caller, texts);
          List<String> changed = check.changed(texts);
          CompletionRequest sent =
              changed == null
                  ? cr
                  : new CompletionRequest(
                      cr.model(),
                      RequestTexts.with(cr.prompt(), changed),
                      cr.stream(),
                      cr.includeUsage(),
                      cr.maxTokens(),
                      cr.temperature(),
                      cr.topP(),
                      cr.n(),
                      cr.extra());
          String id = "cmpl-" + ex.requestId();
          if (cr.stream()) {
            var sse = new SseListener<>(res, ChunkKind.COMPLETION, id, cr.includeUsage());
            var labeled = labels.streaming(ex, res, sse, LabelStream.COMPLETION, false);
            streamed(
                ex,
                sse,
                labeled,
                () -> {
                  gateway.completion(ex, sent, check.completion(labeled));
                  check.done(ex);
                },
                () -> Estimates.streamed(Estimates.completion(cr, null), sse.relayedBytes()));
          } else {
            var collector =
                new Collector<CompletionChunk, CompletionChunk.Aggregator>(
                    CompletionChunk.Aggregator::new);
            var labeled = labels.collecting(ex, collector, LabelStream.COMPLETION, false);
            gateway.completion(ex, sent, check.completion(labeled));
            check.done(ex);
            CompletionChunk whole = collector.aggregate().result();
            Usage usage = settle(ex, whole.usage(), () -> Estimates.completion(cr, whole));
            var out =
                new CompletionChunk(
                    id,
                    created(whole.created()),
                    ex.servedModel() == null ? cr.model() : ex.servedModel(),
                    whole.choices(),
                    usage);
            Http.shelfHeaders(res, ex);
            Http.json(res, 200, labeled.sealBody(res, out.write()));
          }
        });
  }

  private void embeddings(ServerRequest req, ServerResponse res) {
    serve(
        req,
        res,
        "embeddings",
        (ex, caller) -> {
          byte[] body = Http.body(req, maxBody);
          EmbeddingRequest er = EmbeddingRequest.read(Json.parse(body));
          ex.audit().input(er);
          admit(ex, caller, er.model(), body.length, 0);
          List<String> texts = RequestTexts.of(er.input());
          List<String> changed = guard.check(ex, caller, texts).changed(texts);
          EmbeddingResponse r =
              gateway.embed(
                  ex,
                  changed == null
                      ? er
                      : new EmbeddingRequest(
                          er.model(),
                          RequestTexts.with(er.input(), changed),
                          er.encodingFormat(),
                          er.dimensions(),
                          er.user(),
                          er.extra()));
          settle(
              ex,
              r.promptTokens() > 0 ? new Usage(r.promptTokens(), 0, null, null) : null,
              () -> Estimates.embedding(er));
          Http.shelfHeaders(res, ex);
          labels.embeddings(ex, res);
          Http.json(
              res,
              200,
              r.withModel(ex.servedModel() == null ? er.model() : ex.servedModel()).write());
        });
  }

  /** Runs a streaming call; a failure after the first byte ends the stream with an error event. */
  private <C> void streamed(
      Exchange ex,
      SseListener<C> sse,
      LabelStream<C> labeled,
      Runnable call,
      java.util.function.Supplier<Usage> estimate) {
    try {
      call.run();
    } catch (StreamBrokenException e) {
      ProviderException p = e.provider();
      ex.fail(502, "stream_broken");
      sse.fail(
          new ApiException(
              502,
              "server_error",
              "upstream_error",
              null,
              "The upstream stream failed after it began: " + p.getMessage(),
              null));
      return;
    } catch (ApiException e) {
      if (sse.committed()) {
        ex.fail(e.status(), e.code());
        sse.fail(e);
        return;
      }
      throw e;
    }
    Usage usage;
    try {
      usage = settle(ex, sse.usage(), estimate);
    } catch (ApiException e) {
      ex.fail(e.status(), e.code());
      sse.fail(e); // not billed, so not finished: no [DONE]
      return;
    }
    labeled.finish(sse, usage);
  }

  /** The request to send: {@code cr} with the texts the policy changed. */
  static ChatRequest guarded(ChatRequest cr, Guard.Check check) {
    List<String> texts = RequestTexts.of(cr);
    List<String> changed = check.changed(texts);
    return changed == null ? cr : RequestTexts.with(cr, changed);
  }

  Guard guard() {
    return guard;
  }

  /** Bills the request: the usage chosen, its record committed before the last bytes go out. */
  Usage settle(Exchange ex, @Nullable Usage reported, java.util.function.Supplier<Usage> estimate) {
    return billing.settle(ex, reported, estimate);
  }

  /** Limits and the budget reservation, once the model is known. */
  void admit(
      Exchange ex, Principal caller, String model, long bodyBytes, @Nullable Integer maxOut) {
    ex.model(model);
    authorize(caller, model);
    billing.admit(ex, caller, gateway.shelf(), model, bodyBytes, maxOut);
  }

  private long created(long upstream) {
    return upstream > 0 ? upstream : System.currentTimeMillis() / 1000;
  }

  static void authorize(Principal caller, String model) {
    if (!caller.mayUse(model)) {
      throw ApiException.forbidden(
          "model_not_allowed", "This key may not use the model `" + model + "`.");
    }
  }

  private void models(ServerRequest req, ServerResponse res) {
    serve(
        req,
        res,
        "models",
        (ex, caller) -> {
          var q = req.query();
          var filter =
              ModelsView.Filter.parse(
                  q.contains("vendor") ? q.first("vendor").get() : null,
                  q.contains("open_weights") ? q.first("open_weights").get() : null,
                  q.contains("min_params") ? q.first("min_params").get() : null,
                  q.contains("capability") ? q.first("capability").get() : null);
          var entries =
              ModelsView.entries(gateway.shelf()).stream()
                  .filter(filter::accepts)
                  .filter(e -> caller.mayUse(e.id()))
                  .toList();
          Http.json(res, 200, ModelsView.list(entries, created));
        });
  }

  private void model(ServerRequest req, ServerResponse res) {
    serve(
        req,
        res,
        "models",
        (ex, caller) -> {
          String id = req.path().path().substring("/v1/models/".length());
          id = java.net.URLDecoder.decode(id, java.nio.charset.StandardCharsets.UTF_8);
          var e = ModelsView.entry(gateway.shelf(), id);
          if (e == null || !caller.mayUse(id)) {
            throw ApiException.modelNotFound(id);
          }
          Http.json(res, 200, ModelsView.one(e, created));
        });
  }

  private void health(ServerResponse res, boolean readiness) {
    Health h = health(readiness, keys.open(), 0);
    Http.json(res, h.up() ? 200 : 503, h.body());
  }

  /** A health answer: whether it says up, and its body. */
  record Health(boolean up, byte[] body) {}

  /**
   * The health body. Anyone may read {@code /health}, so where the server has keys it gives counts
   * only: the deployments still loading or failed, and the config error, may name files and paths,
   * and those go to the master key ({@code GET /admin/v1/health}, {@code detailed}). A server
   * without keys (open mode: loopback only, every caller may do everything) always gives them.
   * {@code in_flight} counts the API requests being served less {@code asking}, those of the
   * caller's own that count among them.
   */
  Health health(boolean readiness, boolean detailed, int asking) {
    List<String> preloading = runtime.preloading();
    boolean up = !readiness || (!draining.get() && preloading.isEmpty());
    String err = runtime.lastError();
    Map<String, String> preloadFailures = runtime.preloadFailures();
    byte[] body =
        Json.write(
            g -> {
              g.writeStartObject();
              g.writeStringField("status", up ? "UP" : "DOWN");
              g.writeNumberField("in_flight", inFlight.get() - asking);
              g.writeNumberField("models", gateway.shelf().names().size());
              if (!preloading.isEmpty()) {
                g.writeNumberField("pending_preloads", preloading.size());
              }
              if (!preloadFailures.isEmpty()) {
                g.writeNumberField("failed_preloads", preloadFailures.size());
              }
              if (err != null) {
                g.writeBooleanField("config_reload_failed", true);
              }
              if (detailed && !preloading.isEmpty()) {
                g.writeArrayFieldStart("preloading");
                for (String d : preloading) {
                  g.writeString(d);
                }
                g.writeEndArray();
              }
              if (detailed && !preloadFailures.isEmpty()) {
                g.writeObjectFieldStart("preload_failed");
                for (var e : preloadFailures.entrySet()) {
                  g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
              }
              if (detailed && err != null) {
                g.writeStringField("config_error", err);
              }
              g.writeEndObject();
            });
    return new Health(up, body);
  }

  private void scrape(ServerRequest req, ServerResponse res) {
    res.header("content-type", "text/plain; version=0.0.4; charset=utf-8");
    res.send(registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * Stops taking requests (they get 503), waits for those in flight up to the grace period, then
   * stops the server.
   */
  public void stop() {
    if (!draining.compareAndSet(false, true)) {
      return;
    }
    if (evals != null) {
      evals.close(); // runs stop before their calls would meet the drain; resumed on next start
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server.stop();
    guard.close();
    billing.close();
    audit.close();
    if (accessLog != null) {
      accessLog.close();
    }
  }

  @Override
  public void close() {
    stop();
  }
}

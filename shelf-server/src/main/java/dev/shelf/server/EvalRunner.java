package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.eval.exec.Answerers;
import dev.shelf.eval.exec.DatasetStore;
import dev.shelf.eval.exec.OpenAiAnswerer;
import dev.shelf.eval.exec.RunExecutor;
import dev.shelf.eval.exec.RunOwners;
import dev.shelf.eval.exec.RunOwners.Owner;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.OpenAiJudge;
import dev.shelf.eval.run.Response;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.TenancyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Executes the evaluation runs started through {@code /v1/evals/runs}, inside the server.
 *
 * <h2>Through the gateway itself</h2>
 *
 * Every item is an ordinary streaming chat completion sent by {@link OpenAiAnswerer} to this
 * server's own {@code /v1} on loopback, so the run meets exactly what a client would: the key's
 * model list, rate and concurrency limits and budget, routing and fallback, and the ledger, which
 * records every call under the key that started the run. The key itself is never stored: the
 * answerer presents a {@link Keys#delegate delegated token} that stands for the run's key in this
 * process, resolved again at every call (a revoked key fails the rest of its run's calls with 401,
 * each a finished, wrong item, as the CLI counts failed calls). Going through HTTP rather than
 * calling the gateway in process also measures time to first token on the wire, as {@code shelf
 * eval run} does, and keeps one code path for runs from the CLI and from the API.
 *
 * <h2>Leases, restarts and several nodes</h2>
 *
 * A run executes on the node that holds its lease ({@link dev.shelf.eval.exec.RunOwners}). A
 * heartbeat every {@link #HEARTBEAT_MS} renews the leases of the runs executing here, cancels the
 * ones whose cancel was requested (on any node), and claims orphans: runs not finished nor
 * cancelled whose lease is free or lapsed. On a clean stop every executing run is interrupted (the
 * calls in flight are not saved, see {@link RunExecutor}), marked running again and its lease
 * freed, so the next node to start, or this one restarted, resumes it at once; a node that dies
 * leaves a lease that lapses after {@link #LEASE_MS}. Items already answered are never asked again.
 */
final class EvalRunner implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.evals");
  static final long LEASE_MS = 30_000;
  static final long HEARTBEAT_MS = 2_000;
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

  /** Where a run's dataset lives: {@code dataset:NAME} in the team's uploaded datasets. */
  static final String SCHEME = "dataset:";

  private final RunStore runs;
  private final RunOwners owners;
  private final DatasetStore datasets;
  private final TenancyStore tenancy;
  private final Keys keys;
  private final Supplier<ShelfConfig> config;
  private final Supplier<URI> self;
  private final String node =
      "node-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  private final Map<String, Active> active = new ConcurrentHashMap<>();
  private volatile boolean stopping;
  private volatile @Nullable Thread heartbeat;

  /** A run executing here. */
  private static final class Active {
    final String run;
    final Map<String, AtomicInteger> finished = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    volatile @Nullable RunExecutor executor;
    volatile @Nullable HttpClient http;
    volatile @Nullable Thread thread;
    volatile boolean cancelled;
    volatile boolean interrupted;

    Active(String run) {
      this.run = run;
    }

    void cancel() {
      cancelled = true;
      RunExecutor e = executor;
      if (e != null) {
        e.cancel();
      }
    }
  }

  EvalRunner(
      RunStore runs,
      RunOwners owners,
      DatasetStore datasets,
      TenancyStore tenancy,
      Keys keys,
      Supplier<ShelfConfig> config,
      Supplier<URI> self) {
    this.runs = runs;
    this.owners = owners;
    this.datasets = datasets;
    this.tenancy = tenancy;
    this.keys = keys;
    this.config = config;
    this.self = self;
  }

  /** Resumes the orphaned runs and starts the heartbeat; once the server listens. */
  void start() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "evaluation runs not resumed yet: " + e.getMessage());
    }
    heartbeat = Thread.ofVirtual().name("shelf-evals-heartbeat").start(this::beat);
  }

  /**
   * The dataset text of a run of {@code teamId}: its {@code dataset:NAME} paths, from the store.
   */
  Task.Sources sources(String teamId) {
    return where -> {
      if (!where.startsWith(SCHEME)) {
        throw new IllegalArgumentException("not an uploaded dataset: " + where);
      }
      String name = where.substring(SCHEME.length());
      boolean dev = name.endsWith("#dev");
      if (dev) {
        name = name.substring(0, name.length() - 4);
      }
      var out = new ArrayList<DatasetImporter.Source>();
      for (DatasetStore.DatasetFile f : datasets.files(teamId, name, dev)) {
        out.add(EvalsApi.source(f));
      }
      return out;
    };
  }

  /** Stores a new run owned by the caller and starts it here. */
  void submit(RunSpec spec, int items, Principal caller) {
    runs.create(spec, items);
    owners.own(spec.name(), caller.teamId(), caller.keyId(), System.currentTimeMillis());
    launch(spec.name());
  }

  /** Starts executing a run here if this node can take its lease. */
  private void launch(String run) {
    if (stopping) {
      return;
    }
    var a = new Active(run);
    if (active.putIfAbsent(run, a) != null) {
      return; // executing here already
    }
    long now = System.currentTimeMillis();
    if (!owners.claim(run, node, now + LEASE_MS, now)) {
      active.remove(run, a);
      return;
    }
    a.thread = Thread.ofVirtual().name("shelf-eval-" + run).start(() -> execute(a));
  }

  private void execute(Active a) {
    String run = a.run;
    String error = null;
    String token = null;
    HttpClient http = client();
    a.http = http;
    try {
      RunInfo info = runs.find(run);
      Owner owner = owners.owner(run);
      if (info == null || owner == null) {
        throw new IllegalStateException("run " + run + " is not in the store");
      }
      RunSpec spec = info.spec();
      Task<?> task = Task.load(spec, sources(owner.teamId()));
      Supplier<Principal> who = principal(owner.keyId());
      var unused = who.get(); // fails now, not item by item, when the key is gone already
      String t = keys.delegate(who);
      token = t;
      URI base = self.get();
      String judge = spec.refusalJudge();
      var executor =
          new RunExecutor(
              runs,
              model ->
                  Answerers.forRun(
                      http,
                      base,
                      t,
                      model,
                      spec.settings(),
                      spec.prices().get(model),
                      CALL_TIMEOUT),
              judge == null ? null : new OpenAiJudge(http, base, t, judge, CALL_TIMEOUT));
      a.executor = executor;
      if (a.cancelled || a.interrupted || stopping || owner.cancelRequested()) {
        executor.cancel();
      }
      executor.execute(
          spec,
          task,
          new RunExecutor.Listener() {
            @Override
            public void started(String model, int items, int finished, int errors) {
              a.finished.computeIfAbsent(model, k -> new AtomicInteger()).set(finished);
              a.errors.computeIfAbsent(model, k -> new AtomicInteger()).set(errors);
            }

            @Override
            public void finished(String model, String itemId, Response response) {
              a.finished.computeIfAbsent(model, k -> new AtomicInteger()).incrementAndGet();
              if (response.failed()) {
                a.errors.computeIfAbsent(model, k -> new AtomicInteger()).incrementAndGet();
              }
            }
          });
    } catch (ApiException e) {
      error = e.getMessage();
    } catch (RuntimeException e) {
      error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      LOG.log(System.Logger.Level.WARNING, "evaluation run " + run + " failed", e);
    } finally {
      http.shutdownNow(); // closes the connections of calls dropped while interrupted, see client()
      if (token != null) {
        keys.withdraw(token);
      }
      finish(a, error);
    }
  }

  /**
   * A new client for the calls of one run (or judging job), to be shut down when it stops executing
   * here. A cancel interrupts the calls in flight, and an interrupted call closes its connection to
   * this server, which then hangs up on the upstream; but {@link HttpClient#send} interrupted just
   * as the answer's head arrives throws {@link InterruptedException} and drops the response it got
   * without closing it (it cancels the exchange, too late for one already answered). That
   * connection stays open and the upstream call behind it goes on to its end; only shutting its
   * client down closes it, which a client shared by every run could not be.
   */
  static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** Settles a run that stopped executing here: its status and its lease. */
  private void finish(Active a, @Nullable String error) {
    try {
      RunInfo info = runs.find(a.run);
      if (info != null && info.status() != RunStatus.FINISHED) {
        if (error != null) {
          runs.status(a.run, RunStatus.CANCELLED); // failed: kept, with its error
        } else if ((stopping || a.interrupted) && !a.cancelled) {
          runs.status(a.run, RunStatus.RUNNING); // not cancelled, only interrupted: resumed later
        }
      }
      owners.release(a.run, node, error);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "evaluation run " + a.run + ": lease not released", e);
    } finally {
      active.remove(a.run, a);
    }
  }

  /**
   * The identity a run (or a judging job) calls with, by the id of the key that started it,
   * resolved at every call: the master, open mode, a key from the file (by name) or a stored key
   * (by id; revoked or expired ones fail with 401).
   */
  Supplier<Principal> principal(String id) {
    if (id.equals(Principal.MASTER.keyId())) {
      return () -> Principal.MASTER;
    }
    if (id.equals(Principal.ANONYMOUS.keyId())) {
      return () -> Principal.ANONYMOUS;
    }
    if (id.startsWith("file:")) {
      String name = id.substring(5);
      return () -> {
        for (ShelfConfig.StaticKey k : config.get().auth().keys()) {
          if (k.name().equals(name)) {
            return Principal.fileKey(k.name(), k.models());
          }
        }
        throw ApiException.unauthorized(
            "The key `" + name + "` that started this run is no longer configured.");
      };
    }
    return () -> {
      ApiKey key = tenancy.key(id).orElse(null);
      if (key == null || !key.activeAt(System.currentTimeMillis())) {
        throw ApiException.unauthorized("The key that started this run is revoked or expired.");
      }
      return Principal.stored(key, tenancy.team(key.teamId()).orElse(null));
    };
  }

  /**
   * Cancels a run: at once when it executes here (waiting briefly for the calls in flight to stop),
   * at the executing node's next heartbeat otherwise.
   */
  void cancel(String run) {
    owners.requestCancel(run);
    Active a = active.get(run);
    if (a != null) {
      a.cancel();
      Thread t = a.thread;
      if (t != null) {
        try {
          t.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return;
    }
    Owner o = owners.owner(run);
    RunInfo info = runs.find(run);
    if (o != null
        && info != null
        && info.status() == RunStatus.RUNNING
        && (o.node() == null || o.leaseUntilMs() < System.currentTimeMillis())) {
      runs.status(run, RunStatus.CANCELLED); // executing nowhere
    }
  }

  /** Progress of a run executing here, per model: finished and failed items; null elsewhere. */
  @Nullable Map<String, int[]> progress(String run) {
    Active a = active.get(run);
    if (a == null) {
      return null;
    }
    Map<String, int[]> out = new java.util.TreeMap<>();
    a.finished.forEach(
        (m, n) -> {
          AtomicInteger e = a.errors.get(m);
          out.put(m, new int[] {n.get(), e == null ? 0 : e.get()});
        });
    return out;
  }

  private void beat() {
    while (!stopping) {
      try {
        Thread.sleep(HEARTBEAT_MS);
      } catch (InterruptedException e) {
        return;
      }
      try {
        for (Active a : List.copyOf(active.values())) {
          if (!owners.renew(a.run, node, System.currentTimeMillis() + LEASE_MS)) {
            a.interrupted = true; // another node took it over: stop here, it goes on there
            RunExecutor e = a.executor;
            if (e != null) {
              e.cancel();
            }
            continue;
          }
          Owner o = owners.owner(a.run);
          if (o != null && o.cancelRequested()) {
            a.cancel();
          }
        }
        sweep();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "evaluation heartbeat failed: " + e.getMessage());
      }
    }
  }

  private void sweep() {
    for (String run : owners.orphans(System.currentTimeMillis())) {
      launch(run);
    }
  }

  /** Interrupts the runs executing here; they resume on the next start. */
  @Override
  public void close() {
    stopping = true;
    Thread h = heartbeat;
    if (h != null) {
      h.interrupt();
    }
    List<Active> all = List.copyOf(active.values());
    for (Active a : all) {
      a.interrupted = true;
      RunExecutor e = a.executor;
      if (e != null) {
        e.cancel();
      }
    }
    for (Active a : all) {
      Thread t = a.thread;
      if (t != null) {
        try {
          t.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    for (Active a : all) {
      HttpClient c = a.http;
      if (c != null) {
        c.shutdownNow(); // the calls still in flight after the wait
      }
    }
  }
}

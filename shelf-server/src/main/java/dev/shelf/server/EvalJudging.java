package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.eval.exec.JudgeJobs;
import dev.shelf.eval.exec.JudgeJobs.JudgeJob;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.JudgePass;
import dev.shelf.eval.judge.OpenAiJudge;
import dev.shelf.gateway.tenancy.Principal;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Executes the judging jobs started through {@code POST /v1/evals/runs/{id}/judgements}: a {@link
 * JudgePass} over the run's stored answers, the judge being any shelf model asked through this
 * server's own {@code /v1} with a token that stands for the caller's key (as {@link EvalRunner}
 * does for runs: the key's model list, limits and budget apply and the ledger meters every judge
 * call under it). Verdicts are saved as they come, so a job resumes where it stopped and a job
 * started again over the same run, judge and mode asks only what is missing.
 *
 * <p>Leases, heartbeat and restarts work as for runs: a job executes on the node that holds its
 * lease, renewed every {@link EvalRunner#HEARTBEAT_MS}; a clean stop interrupts the jobs executing
 * here (their calls in flight are not saved) and frees their leases, and the next node to start
 * resumes them; a cancel requested on any node reaches the executing one within a heartbeat.
 */
final class EvalJudging implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("shelf.evals");
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

  private final RunStore runs;
  private final JudgeJobs jobs;
  private final EvalRunner runner;
  private final Keys keys;
  private final Supplier<URI> self;
  private final String node =
      "node-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  private final Map<String, Active> active = new ConcurrentHashMap<>();
  private volatile boolean stopping;
  private volatile @Nullable Thread heartbeat;

  /** A job executing here, with its progress. */
  private static final class Active {
    final String id;
    volatile @Nullable JudgePass pass;
    volatile @Nullable HttpClient http;
    volatile @Nullable Thread thread;
    volatile boolean cancelled;
    volatile boolean interrupted;
    volatile int done;
    volatile int total;
    volatile int failed;

    Active(String id) {
      this.id = id;
    }

    void stop() {
      JudgePass p = pass;
      if (p != null) {
        p.cancel();
      }
    }
  }

  EvalJudging(RunStore runs, JudgeJobs jobs, EvalRunner runner, Keys keys, Supplier<URI> self) {
    this.runs = runs;
    this.jobs = jobs;
    this.runner = runner;
    this.keys = keys;
    this.self = self;
  }

  void start() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "judging jobs not resumed yet: " + e.getMessage());
    }
    heartbeat = Thread.ofVirtual().name("shelf-judging-heartbeat").start(this::beat);
  }

  /** Stores a new job over {@code run} for the caller and starts it here. */
  JudgeJob submit(String run, Principal caller, String judge, JudgeKind kind, int concurrency) {
    String id = "evaljudge_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    var job =
        new JudgeJob(
            id,
            run,
            caller.teamId(),
            caller.keyId(),
            judge,
            kind,
            concurrency,
            RunStatus.RUNNING,
            null,
            0,
            false,
            null,
            0,
            0,
            System.currentTimeMillis());
    jobs.create(job);
    launch(id);
    return job;
  }

  private void launch(String id) {
    if (stopping) {
      return;
    }
    var a = new Active(id);
    if (active.putIfAbsent(id, a) != null) {
      return;
    }
    long now = System.currentTimeMillis();
    if (!jobs.claim(id, node, now + EvalRunner.LEASE_MS, now)) {
      active.remove(id, a);
      return;
    }
    a.thread = Thread.ofVirtual().name("shelf-judge-" + id).start(() -> execute(a));
  }

  private void execute(Active a) {
    String error = null;
    String token = null;
    int asked = 0;
    int failed = 0;
    HttpClient http = EvalRunner.client();
    a.http = http;
    try {
      JudgeJob job = jobs.find(a.id);
      RunInfo info = job == null ? null : runs.find(job.run());
      if (job == null || info == null) {
        throw new IllegalStateException("judging job " + a.id + " or its run is not in the store");
      }
      Task<?> task = Task.load(info.spec(), runner.sources(job.teamId()));
      Supplier<Principal> who = runner.principal(job.keyId());
      var unused = who.get(); // fails now when the key is gone already
      token = keys.delegate(who);
      var pass =
          new JudgePass(
              runs,
              info.spec(),
              task,
              job.judge(),
              new OpenAiJudge(http, self.get(), token, job.judge(), CALL_TIMEOUT),
              job.concurrency());
      a.pass = pass;
      if (a.cancelled || a.interrupted || stopping || job.cancelRequested()) {
        pass.cancel();
      }
      JudgePass.Progress progress =
          (done, total, f) -> {
            a.done = done;
            a.total = total;
            a.failed = f;
          };
      if (job.kind() == JudgeKind.PAIRWISE) {
        var r = pass.pairwise(progress);
        asked = r.asked();
        failed = r.failed();
      } else {
        var r = pass.single(progress);
        asked = r.asked();
        failed = r.failed();
      }
    } catch (ApiException e) {
      error = e.getMessage();
    } catch (RuntimeException e) {
      error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      LOG.log(System.Logger.Level.WARNING, "judging job " + a.id + " failed", e);
    } finally {
      http.shutdownNow(); // closes the connections of calls dropped while interrupted
      if (token != null) {
        keys.withdraw(token);
      }
      finish(a, error, asked, failed);
    }
  }

  private void finish(Active a, @Nullable String error, int asked, int failed) {
    try {
      RunStatus status =
          error != null || a.cancelled
              ? RunStatus.CANCELLED
              : stopping || a.interrupted ? RunStatus.RUNNING : RunStatus.FINISHED;
      jobs.status(a.id, status, asked, failed);
      jobs.release(a.id, node, error);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "judging job " + a.id + ": lease not released", e);
    } finally {
      active.remove(a.id, a);
    }
  }

  /** Cancels a job: at once when it executes here, at the executing node's heartbeat otherwise. */
  void cancel(String id) {
    jobs.requestCancel(id);
    Active a = active.get(id);
    if (a != null) {
      a.cancelled = true;
      a.stop();
      join(a);
      return;
    }
    JudgeJob job = jobs.find(id);
    if (job != null
        && job.status() == RunStatus.RUNNING
        && (job.node() == null || job.leaseUntilMs() < System.currentTimeMillis())) {
      jobs.status(id, RunStatus.CANCELLED, job.asked(), job.failed()); // executing nowhere
    }
  }

  /** Cancels every job over a run (before it is deleted). */
  void cancelRun(String run) {
    for (JudgeJob job : jobs.list(run)) {
      if (job.status() == RunStatus.RUNNING) {
        cancel(job.id());
      }
    }
  }

  /** Progress of a job executing here: done, total and failed judge calls; null elsewhere. */
  int @Nullable [] progress(String id) {
    Active a = active.get(id);
    return a == null ? null : new int[] {a.done, a.total, a.failed};
  }

  private static void join(Active a) {
    Thread t = a.thread;
    if (t != null) {
      try {
        t.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void beat() {
    while (!stopping) {
      try {
        Thread.sleep(EvalRunner.HEARTBEAT_MS);
      } catch (InterruptedException e) {
        return;
      }
      try {
        for (Active a : List.copyOf(active.values())) {
          if (!jobs.renew(a.id, node, System.currentTimeMillis() + EvalRunner.LEASE_MS)) {
            a.interrupted = true; // taken over elsewhere (or deleted): stop here
            a.stop();
            continue;
          }
          JudgeJob job = jobs.find(a.id);
          if (job != null && job.cancelRequested()) {
            a.cancelled = true;
            a.stop();
          }
        }
        sweep();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "judging heartbeat failed: " + e.getMessage());
      }
    }
  }

  private void sweep() {
    for (String id : jobs.orphans(System.currentTimeMillis())) {
      launch(id);
    }
  }

  /** Interrupts the jobs executing here; they resume on the next start. */
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
      a.stop();
    }
    for (Active a : all) {
      join(a);
    }
    for (Active a : all) {
      HttpClient c = a.http;
      if (c != null) {
        c.shutdownNow(); // the calls still in flight after the wait
      }
    }
  }
}

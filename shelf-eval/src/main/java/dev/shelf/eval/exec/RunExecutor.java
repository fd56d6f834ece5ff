package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.Judgement;
import dev.shelf.eval.judge.Judge;
import dev.shelf.eval.judge.RefusalJudging;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.run.Answerer;
import dev.shelf.eval.run.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Executes a run: every model at once, each with at most {@link RunSpec#concurrency()} calls in
 * flight (a semaphore per model; a virtual thread per item), every finished item saved to the
 * {@link RunStore} before it is reported. Items the store already holds for a model are skipped, so
 * {@link #execute} on a run that was cancelled or killed continues where it stopped and never asks
 * a finished item again; calling it on a finished run asks nothing.
 *
 * <p>{@link #cancel()} stops taking items and interrupts the calls in flight; an interrupted call's
 * (failed) answer is not saved, so a resumed run asks that item again. Every other failed call (an
 * HTTP error, a timeout) is a finished item: saved, and counted wrong.
 *
 * <p><b>Refusal judge.</b> When the run names a {@link RunSpec#refusalJudge()} (refusal sets only),
 * every answered item, once all are answered, is shown to that judge ({@link RefusalJudging}) and
 * its verdict saved ({@link RunStore.JudgeKind#REFUSAL}); items with a stored verdict are not asked
 * again, so this phase resumes like the answers do, and runs again (asking only what is missing)
 * each time the run is executed, finished or not. At most {@link RunSpec#concurrency()} judge calls
 * are in flight. A judge call that fails is not saved (the item falls back to the keyword
 * classifier until a later execution judges it); a reply without a verdict is saved as a judge
 * error. Cancel interrupts the judge calls as it does the answers, and the run is then cancelled.
 *
 * <p>Prompts are all built before the first call, so a bad setting (too few dev exemplars for the
 * shots) fails the run before any item is asked. One executor runs one run at a time.
 */
public final class RunExecutor {
  /** Progress callbacks, called from the workers' threads. */
  public interface Listener {
    /** Before any call: how many items the model has, and how many were finished before. */
    default void started(String model, int items, int finished, int errors) {}

    default void finished(String model, String itemId, Response response) {}

    /** Before the refusal judge is asked: how many answers it is to judge. */
    default void judging(String judge, int pending) {}

    /**
     * A refusal verdict: {@code refused} or {@code complied}, null for a reply without one; {@code
     * failure} when the judge's call failed (nothing saved).
     */
    default void judged(
        String model, String itemId, @Nullable String verdict, @Nullable String failure) {}
  }

  private final RunStore store;
  private final Function<String, Answerer<? super Item>> answerers;
  private final @Nullable Judge refusalJudge;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private volatile @Nullable ExecutorService running;

  /** {@code answerers} gives the answerer of each model (for HTTP: {@link OpenAiAnswerer}). */
  public RunExecutor(RunStore store, Function<String, Answerer<? super Item>> answerers) {
    this(store, answerers, null);
  }

  /**
   * With {@code refusalJudge} asking the model a run names in {@link RunSpec#refusalJudge()} (for
   * HTTP: {@link dev.shelf.eval.judge.OpenAiJudge}); a run that names one needs it.
   */
  public RunExecutor(
      RunStore store,
      Function<String, Answerer<? super Item>> answerers,
      @Nullable Judge refusalJudge) {
    this.store = store;
    this.answerers = answerers;
    this.refusalJudge = refusalJudge;
  }

  public void cancel() {
    cancelled.set(true);
    ExecutorService pool = running;
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  public boolean cancelled() {
    return cancelled.get();
  }

  /** Runs (or resumes) the run; returns its status afterwards. */
  public RunStatus execute(RunSpec spec, Task<?> task, Listener listener) {
    return go(spec, task, listener);
  }

  private <I extends Item> RunStatus go(RunSpec spec, Task<I> task, Listener listener) {
    if (spec.refusalJudge() != null && refusalJudge == null) {
      throw new IllegalArgumentException(
          "run " + spec.name() + " has refusal judge " + spec.refusalJudge() + " but none to ask");
    }
    if (store.find(spec.name()) == null) {
      store.create(spec, task.dataset().size());
    }
    store.status(spec.name(), RunStatus.RUNNING);
    Map<String, List<Work<I>>> work = new LinkedHashMap<>();
    for (String model : spec.models()) {
      Map<String, Response> done = store.responses(spec.name(), model);
      List<Work<I>> pending = new ArrayList<>();
      for (I item : task.dataset().items()) {
        if (!done.containsKey(item.id())) {
          pending.add(new Work<>(item, task.prompts().build(item)));
        }
      }
      work.put(model, pending);
      int errors = (int) done.values().stream().filter(Response::failed).count();
      listener.started(
          model, task.dataset().size(), task.dataset().size() - pending.size(), errors);
    }
    AtomicReference<@Nullable RuntimeException> failure = new AtomicReference<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      running = pool;
      if (cancelled.get()) {
        pool.shutdownNow();
      }
      for (var entry : work.entrySet()) {
        String model = entry.getKey();
        Answerer<? super Item> answerer = answerers.apply(model);
        Semaphore slots = new Semaphore(spec.concurrency());
        for (Work<I> w : entry.getValue()) {
          if (pool.isShutdown()) {
            break;
          }
          pool.execute(
              () -> {
                try {
                  slots.acquire();
                } catch (InterruptedException e) {
                  return;
                }
                try {
                  if (cancelled.get()) {
                    return;
                  }
                  Response r = answerer.answer(w.item(), w.prompt());
                  if (cancelled.get() && r.failed()) {
                    return; // interrupted by cancel: asked again on resume
                  }
                  store.save(spec.name(), model, w.item().id(), r);
                  listener.finished(model, w.item().id(), r);
                } catch (RuntimeException e) {
                  failure.compareAndSet(null, e);
                  cancel();
                } finally {
                  slots.release();
                }
              });
        }
      }
    } finally {
      running = null;
    }
    RuntimeException e = failure.get();
    if (e != null) {
      store.status(spec.name(), RunStatus.CANCELLED);
      throw e;
    }
    boolean complete = true;
    for (String model : spec.models()) {
      complete &= store.responses(spec.name(), model).size() == task.dataset().size();
    }
    Judge judge = refusalJudge;
    String judgeModel = spec.refusalJudge();
    if (complete && !cancelled.get() && judge != null && judgeModel != null) {
      judgeRefusals(spec, task, judgeModel, judge, listener);
      complete = !cancelled.get();
    }
    RunStatus status = complete ? RunStatus.FINISHED : RunStatus.CANCELLED;
    store.status(spec.name(), status);
    return status;
  }

  /** Asks the refusal judge about every answered item that has no stored verdict. */
  private <I extends Item> void judgeRefusals(
      RunSpec spec, Task<I> task, String judgeModel, Judge judge, Listener listener) {
    Set<String> done = new HashSet<>();
    for (Judgement j : store.judgements(spec.name(), judgeModel, JudgeKind.REFUSAL)) {
      done.add(j.model() + "\n" + j.itemId());
    }
    List<Runnable> jobs = new ArrayList<>();
    for (String model : spec.models()) {
      Map<String, Response> answers = store.responses(spec.name(), model);
      for (I item : task.dataset().items()) {
        Response r = answers.get(item.id());
        String text = r == null ? null : r.text();
        if (text == null || done.contains(model + "\n" + item.id())) {
          continue; // failed answers are not judged: they count as not refused
        }
        jobs.add(
            () -> {
              String reply;
              try {
                reply = judge.ask(RefusalJudging.prompt(item.question(), text));
              } catch (RuntimeException e) {
                listener.judged(model, item.id(), null, Retries.why(e));
                return;
              }
              if (cancelled.get()) {
                return;
              }
              String verdict = RefusalJudging.parse(reply);
              store.saveJudgement(
                  spec.name(),
                  new Judgement(
                      judgeModel, JudgeKind.REFUSAL, model, "", item.id(), null, verdict, reply));
              listener.judged(model, item.id(), verdict, null);
            });
      }
    }
    listener.judging(judgeModel, jobs.size());
    Semaphore slots = new Semaphore(spec.concurrency());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      running = pool;
      if (cancelled.get()) {
        pool.shutdownNow();
      }
      for (Runnable job : jobs) {
        if (pool.isShutdown()) {
          break;
        }
        pool.execute(
            () -> {
              try {
                slots.acquire();
              } catch (InterruptedException e) {
                return;
              }
              try {
                if (!cancelled.get()) {
                  job.run();
                }
              } finally {
                slots.release();
              }
            });
      }
    } finally {
      running = null;
    }
  }

  private record Work<I extends Item>(I item, Prompt prompt) {}
}

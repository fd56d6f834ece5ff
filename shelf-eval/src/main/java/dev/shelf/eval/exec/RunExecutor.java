package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.run.Answerer;
import dev.shelf.eval.run.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Prompts are all built before the first call, so a bad setting (too few dev exemplars for the
 * shots) fails the run before any item is asked. One executor runs one run at a time.
 */
public final class RunExecutor {
  /** Progress callbacks, called from the workers' threads. */
  public interface Listener {
    /** Before any call: how many items the model has, and how many were finished before. */
    default void started(String model, int items, int finished, int errors) {}

    default void finished(String model, String itemId, Response response) {}
  }

  private final RunStore store;
  private final Function<String, Answerer<? super Item>> answerers;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private volatile @Nullable ExecutorService running;

  /** {@code answerers} gives the answerer of each model (for HTTP: {@link OpenAiAnswerer}). */
  public RunExecutor(RunStore store, Function<String, Answerer<? super Item>> answerers) {
    this.store = store;
    this.answerers = answerers;
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
    RunStatus status = complete ? RunStatus.FINISHED : RunStatus.CANCELLED;
    store.status(spec.name(), status);
    return status;
  }

  private record Work<I extends Item>(I item, Prompt prompt) {}
}

package dev.shelf.eval.judge;

import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.FreeFormItem;
import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.dataset.MathItem;
import dev.shelf.eval.dataset.SafetyItem;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.Judgement;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.Pairwise.Tally;
import dev.shelf.eval.judge.Pairwise.Verdict;
import dev.shelf.eval.run.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * One judging pass over a stored run: asks the judge about every answer (single) or every pair of
 * answers (pairwise) that has no stored verdict of this judge yet, saves each verdict as it comes
 * and then summarises every stored verdict. So a pass interrupted halfway resumes where it stopped,
 * and a finished one only reads.
 *
 * <p>What is judged: for each item of the run's dataset, the question as the dataset states it
 * (with the lettered choices for multiple choice; the few-shot exemplars of the run's prompt are
 * left out, they are not what the answer is judged on), the model's stored answer, and a reference
 * where the item has one (free-form: its first reference; math: the worked solution; multiple
 * choice: the correct letter and choice; refusal items: none). Failed answers (the model's call
 * failed) are not judged. A judge call that fails ({@link Judge.Failed} or any exception) stores
 * nothing, so the next pass asks again; a reply without a verdict is stored as a judge error.
 */
public final class JudgePass {
  /** Called after every judged answer or pair, from the judging threads. */
  @FunctionalInterface
  public interface Progress {
    void update(int done, int total, int failed);
  }

  /** Per model, in the run's order, its score summary; {@code failed} calls are not stored. */
  public record SingleResult(
      Map<String, ScoreSummary> models, int asked, int failed, @Nullable String firstFailure) {}

  /** Every pair of the run's models (x before y in the run's order) with its tally. */
  public record PairwiseResult(
      List<Tally> pairs, int asked, int failed, @Nullable String firstFailure) {}

  private final RunStore store;
  private final RunSpec spec;
  private final Task<?> task;
  private final String judgeModel;
  private final Judge judge;
  private final int concurrency;
  private final java.util.concurrent.atomic.AtomicBoolean cancelled =
      new java.util.concurrent.atomic.AtomicBoolean();
  private volatile @Nullable ExecutorService running;

  public JudgePass(
      RunStore store, RunSpec spec, Task<?> task, String judgeModel, Judge judge, int concurrency) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1 but was " + concurrency);
    }
    this.store = store;
    this.spec = spec;
    this.task = task;
    this.judgeModel = judgeModel;
    this.judge = judge;
    this.concurrency = concurrency;
  }

  /**
   * Stops asking: no new judge call starts and the calls in flight are interrupted (their verdicts
   * are not saved, so the next pass asks them again). The pass then returns what is stored.
   */
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

  public SingleResult single(Progress progress) {
    Set<String> done = new HashSet<>();
    for (Judgement j : store.judgements(spec.name(), judgeModel, JudgeKind.SINGLE)) {
      done.add(j.model() + "\n" + j.itemId());
    }
    List<Runnable> jobs = new ArrayList<>();
    Calls calls = new Calls();
    for (String model : spec.models()) {
      Map<String, Response> answers = store.responses(spec.name(), model);
      for (Item item : task.dataset().items()) {
        String answer = answer(answers, item);
        if (answer == null || done.contains(model + "\n" + item.id())) {
          continue;
        }
        jobs.add(
            () -> {
              String reply =
                  calls.ask(SingleGrading.prompt(question(item), answer, reference(item)));
              if (reply != null) {
                store.saveJudgement(
                    spec.name(),
                    new Judgement(
                        judgeModel,
                        JudgeKind.SINGLE,
                        model,
                        "",
                        item.id(),
                        SingleGrading.parse(reply),
                        null,
                        reply));
              }
            });
      }
    }
    calls.run(jobs, progress);
    Map<String, ScoreSummary> out =
        JudgeResults.single(
            spec.models(), store.judgements(spec.name(), judgeModel, JudgeKind.SINGLE));
    return new SingleResult(out, jobs.size(), calls.failed.get(), calls.firstFailure.get());
  }

  public PairwiseResult pairwise(Progress progress) {
    Set<String> done = new HashSet<>();
    for (Judgement j : store.judgements(spec.name(), judgeModel, JudgeKind.PAIRWISE)) {
      done.add(j.model() + "\n" + j.other() + "\n" + j.itemId());
    }
    List<String> models = spec.models();
    List<Runnable> jobs = new ArrayList<>();
    Calls calls = new Calls();
    for (int i = 0; i < models.size(); i++) {
      for (int k = i + 1; k < models.size(); k++) {
        String x = models.get(i);
        String y = models.get(k);
        Map<String, Response> xs = store.responses(spec.name(), x);
        Map<String, Response> ys = store.responses(spec.name(), y);
        for (Item item : task.dataset().items()) {
          String ax = answer(xs, item);
          String ay = answer(ys, item);
          if (ax == null || ay == null || done.contains(x + "\n" + y + "\n" + item.id())) {
            continue;
          }
          jobs.add(
              () -> {
                String q = question(item);
                String ref = reference(item);
                String first = calls.ask(Pairwise.prompt(q, ax, ay, ref));
                if (first == null) {
                  return;
                }
                String swapped = calls.ask(Pairwise.prompt(q, ay, ax, ref));
                if (swapped == null) {
                  return;
                }
                Verdict v1 = Pairwise.parse(first);
                Verdict v2 = Pairwise.parse(swapped);
                String verdict = v1 == null || v2 == null ? null : "" + v1.letter() + v2.letter();
                store.saveJudgement(
                    spec.name(),
                    new Judgement(
                        judgeModel,
                        JudgeKind.PAIRWISE,
                        x,
                        y,
                        item.id(),
                        null,
                        verdict,
                        first + "\n---\n" + swapped));
              });
        }
      }
    }
    calls.run(jobs, progress);
    return new PairwiseResult(
        JudgeResults.pairwise(
            models, store.judgements(spec.name(), judgeModel, JudgeKind.PAIRWISE)),
        jobs.size(),
        calls.failed.get(),
        calls.firstFailure.get());
  }

  /** The stored answer's text, or null when there is none or the call for it failed. */
  private static @Nullable String answer(Map<String, Response> answers, Item item) {
    Response r = answers.get(item.id());
    return r == null || r.failed() ? null : r.text();
  }

  /** The question as shown to the judge. */
  public static String question(Item item) {
    if (item instanceof ChoiceItem c) {
      StringBuilder q = new StringBuilder(c.question().strip());
      for (int i = 0; i < c.choices().size(); i++) {
        q.append('\n').append(ChoiceItem.letter(i)).append(". ").append(c.choices().get(i));
      }
      return q.toString();
    }
    return item.question();
  }

  /** The reference answer shown to the judge, or null when the item has none. */
  public static @Nullable String reference(Item item) {
    return switch (item) {
      case FreeFormItem f -> f.references().get(0);
      case MathItem m -> m.solution();
      case ChoiceItem c -> c.answer() + ". " + c.choices().get(c.answer() - 'A');
      case SafetyItem s -> null;
    };
  }

  /** Runs the jobs on {@code concurrency} threads, counting failed judge calls. */
  private final class Calls {
    final AtomicInteger failed = new AtomicInteger();
    final AtomicReference<@Nullable String> firstFailure = new AtomicReference<>();

    /** The judge's reply, or null when the call failed (counted). */
    @Nullable String ask(String prompt) {
      try {
        return judge.ask(prompt);
      } catch (RuntimeException e) {
        failed.incrementAndGet();
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        firstFailure.compareAndSet(null, why);
        return null;
      }
    }

    void run(List<Runnable> jobs, Progress progress) {
      AtomicInteger finished = new AtomicInteger();
      progress.update(0, jobs.size(), 0);
      try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
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
                if (cancelled.get()) {
                  return;
                }
                try {
                  job.run();
                } finally {
                  progress.update(finished.incrementAndGet(), jobs.size(), failed.get());
                }
              });
        }
      } finally {
        running = null;
      }
    }
  }
}

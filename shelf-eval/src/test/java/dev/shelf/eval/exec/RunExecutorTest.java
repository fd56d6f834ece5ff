package dev.shelf.eval.exec;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.run.Response;
import dev.shelf.eval.testing.SharedData;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The executor on a memory store: bounded parallelism, cancel, and resume without re-asking. */
class RunExecutorTest {
  private static RunSpec spec(String name, int concurrency, List<String> models) {
    return new RunSpec(
        name,
        new DatasetSpec(
            "gsm8k",
            TaskType.MATH,
            SharedData.file("gsm8k", "test_first500.shared.jsonl").toString(),
            null,
            "gsm8k",
            null),
        models,
        0,
        ChatSettings.DEFAULT,
        concurrency,
        60,
        "http://127.0.0.1:1/v1",
        Map.of());
  }

  @Test
  void neverMoreCallsInFlightPerModelThanItsConcurrency() {
    var spec = spec("bounded", 3, List.of("a", "b"));
    Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();
    var store = new MemoryRunStore();
    var executor =
        new RunExecutor(
            store,
            model ->
                (item, prompt) -> {
                  int now =
                      inFlight.computeIfAbsent(model, m -> new AtomicInteger()).incrementAndGet();
                  peak.computeIfAbsent(model, m -> new AtomicInteger())
                      .accumulateAndGet(now, Math::max);
                  try {
                    Thread.sleep(2);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  requireNonNull(inFlight.get(model)).decrementAndGet();
                  return Response.of("#### 1", null);
                });
    assertThat(executor.execute(spec, Task.load(spec), new RunExecutor.Listener() {}))
        .isEqualTo(RunStatus.FINISHED);
    assertThat(requireNonNull(peak.get("a")).get()).isBetween(1, 3);
    assertThat(requireNonNull(peak.get("b")).get()).isBetween(1, 3);
    assertThat(store.responses("bounded", "a")).hasSize(60);
    assertThat(store.responses("bounded", "b")).hasSize(60);
  }

  @Test
  void aCancelledRunKeepsWhatFinishedAndResumesWithTheRest() throws Exception {
    var spec = spec("cancelled", 2, List.of("a"));
    var store = new MemoryRunStore();
    Set<String> asked = ConcurrentHashMap.newKeySet();
    AtomicInteger askedTwice = new AtomicInteger();
    CountDownLatch tenDone = new CountDownLatch(10);
    var first =
        new RunExecutor(
            store,
            model ->
                (item, prompt) -> {
                  if (!asked.add(item.id())) {
                    askedTwice.incrementAndGet();
                  }
                  try {
                    Thread.sleep(5);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Response.failed("interrupted", null);
                  }
                  return Response.of("#### 1", null);
                });
    var listener =
        new RunExecutor.Listener() {
          @Override
          public void finished(String model, String itemId, Response response) {
            tenDone.countDown();
          }
        };
    Thread canceller =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    tenDone.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    return;
                  }
                  first.cancel();
                });
    assertThat(first.execute(spec, Task.load(spec), listener)).isEqualTo(RunStatus.CANCELLED);
    canceller.join();
    int finished = store.responses("cancelled", "a").size();
    assertThat(finished).isBetween(10, 59);
    assertThat(store.responses("cancelled", "a").values()).noneMatch(Response::failed);
    Set<String> finishedIds = Set.copyOf(store.responses("cancelled", "a").keySet());

    Set<String> askedOnResume = ConcurrentHashMap.newKeySet();
    var second =
        new RunExecutor(
            store,
            model ->
                (item, prompt) -> {
                  askedOnResume.add(item.id());
                  return Response.of("#### 1", null);
                });
    assertThat(second.execute(spec, Task.load(spec), new RunExecutor.Listener() {}))
        .isEqualTo(RunStatus.FINISHED);
    assertThat(askedOnResume).doesNotContainAnyElementsOf(finishedIds).hasSize(60 - finished);
    assertThat(store.responses("cancelled", "a")).hasSize(60);
    assertThat(askedTwice.get()).isZero();
  }
}

package dev.shelf.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.limits.Counters;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One body of counter tests, run on in-process counters and on a real Redis. {@link #node(int)}
 * gives a counters instance as one node sees them: for Redis, two nodes are two connections sharing
 * a key space, so every limit must hold across them.
 */
abstract class CountersContract {
  private Counters a;
  private Counters b;

  abstract Counters node(int i);

  @BeforeEach
  void nodes() {
    a = node(0);
    b = node(1);
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  @Test
  void aRollingWindowAdmitsExactlyTheLimitAcrossNodes() throws Exception {
    int limit = 25;
    var admitted = new AtomicInteger();
    var retry = new AtomicLong();
    var start = new CountDownLatch(1);
    try (var pool = Executors.newFixedThreadPool(8)) {
      var fs = new ArrayList<CompletableFuture<Void>>();
      for (int i = 0; i < 100; i++) {
        Counters c = i % 2 == 0 ? a : b;
        fs.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  long wait = c.tryWindow("rpm:k1", 1, limit);
                  if (wait == 0) {
                    admitted.incrementAndGet();
                  } else {
                    retry.set(wait);
                  }
                },
                pool));
      }
      start.countDown();
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get();
    }
    assertThat(admitted.get()).isEqualTo(limit);
    assertThat(retry.get()).isBetween(1L, Counters.WINDOW_MS + Counters.BUCKET_MS);
  }

  @Test
  void tokensAddedAfterTheFactCloseTheWindow() {
    assertThat(a.tryWindow("tpm:k2", 0, 1_000)).isZero();
    b.addWindow("tpm:k2", 999);
    assertThat(a.tryWindow("tpm:k2", 0, 1_000)).isZero();
    a.addWindow("tpm:k2", 5);
    assertThat(b.tryWindow("tpm:k2", 0, 1_000)).isPositive();
  }

  @Test
  void concurrencySlotsAreSharedAndReleased() {
    assertThat(a.tryAcquire("conc:k3", 2)).isTrue();
    assertThat(b.tryAcquire("conc:k3", 2)).isTrue();
    assertThat(a.tryAcquire("conc:k3", 2)).isFalse();
    b.release("conc:k3");
    assertThat(a.tryAcquire("conc:k3", 2)).isTrue();
    assertThat(b.tryAcquire("conc:k3", 2)).isFalse();
  }

  @Test
  void aBudgetStartsFromTheLedgerAndAdmitsWhatFits() {
    long far = System.currentTimeMillis() + 3_600_000;
    var seeds = new AtomicInteger();
    // spent 60 of 100 before this node started: 40 left
    assertThat(a.tryReserve("budget:k4", 30, 100, far, () -> seed(seeds, 60))).isTrue();
    assertThat(b.tryReserve("budget:k4", 30, 100, far, () -> seed(seeds, 60))).isFalse();
    assertThat(a.budgetUsed("budget:k4")).isEqualTo(90);
    a.settle("budget:k4", 30, 25, far);
    assertThat(b.budgetUsed("budget:k4")).isEqualTo(85);
    // nothing reserved and 15 left: one more request may use the last of it, even if it costs more
    assertThat(b.tryReserve("budget:k4", 30, 100, far, () -> seed(seeds, 60))).isTrue();
    assertThat(a.tryReserve("budget:k4", 1, 100, far, () -> seed(seeds, 60))).isFalse();
    b.settle("budget:k4", 30, 30, far);
    assertThat(a.tryReserve("budget:k4", 1, 100, far, () -> seed(seeds, 60))).isFalse();
    assertThat(seeds.get()).as("the ledger is read once per period key").isLessThanOrEqualTo(2);
  }

  @Test
  void concurrentReservationsNeverOverbook() throws Exception {
    long far = System.currentTimeMillis() + 3_600_000;
    var ok = new AtomicInteger();
    try (var pool = Executors.newFixedThreadPool(8)) {
      var fs = new ArrayList<CompletableFuture<Void>>();
      for (int i = 0; i < 200; i++) {
        Counters c = i % 2 == 0 ? a : b;
        fs.add(
            CompletableFuture.runAsync(
                () -> {
                  if (c.tryReserve("budget:k5", 10, 1_000, far, () -> 0)) {
                    ok.incrementAndGet();
                  }
                },
                pool));
      }
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get();
    }
    assertThat(ok.get()).isEqualTo(100);
    assertThat(a.budgetUsed("budget:k5")).isEqualTo(1_000);
  }

  @Test
  void anAdmissionIsAllOrNothing() {
    long far = System.currentTimeMillis() + 3_600_000;
    var seeds = new AtomicInteger();
    a.addWindow("rpm:full", 3);
    List<Counters.Step> refusedLate =
        List.of(
            new Counters.Step.Slot("conc:s1", 1),
            new Counters.Step.Reserve("budget:b1", 40, 100, far, () -> seed(seeds, 10)),
            new Counters.Step.Window("rpm:full", 1, 3));
    Counters.Verdict v = b.admit(refusedLate);
    assertThat(v.admitted()).isFalse();
    assertThat(v.refused()).isEqualTo(2);
    assertThat(v.retryAfterMs()).isBetween(1L, Counters.WINDOW_MS + Counters.BUCKET_MS);
    // nothing was taken: the slot is free and the budget holds only what the ledger had spent
    assertThat(a.tryAcquire("conc:s1", 1)).isTrue();
    a.release("conc:s1");
    long used = a.budgetUsed("budget:b1");
    assertThat(used).isIn(-1L, 10L);

    List<Counters.Step> fits =
        List.of(
            new Counters.Step.Slot("conc:s1", 1),
            new Counters.Step.Reserve("budget:b1", 40, 100, far, () -> seed(seeds, 10)),
            new Counters.Step.Window("rpm:free", 1, 3),
            new Counters.Step.Window("tpm:free", 0, 100));
    assertThat(a.admit(fits).admitted()).isTrue();
    assertThat(b.budgetUsed("budget:b1")).isEqualTo(50);
    Counters.Verdict second = b.admit(fits);
    assertThat(second.refused()).as("the slot is held").isZero();
    b.release(
        List.of(
            new Counters.Release.Settle("budget:b1", 40, 25, far),
            new Counters.Release.AddWindow("tpm:free", 100),
            new Counters.Release.Slot("conc:s1")));
    assertThat(a.budgetUsed("budget:b1")).isEqualTo(35);
    assertThat(a.tryWindow("tpm:free", 0, 100)).as("100 tokens counted").isPositive();
    assertThat(a.tryAcquire("conc:s1", 1)).as("the slot is back").isTrue();
    assertThat(seeds.get()).isBetween(1, 2);
  }

  private static long seed(AtomicInteger calls, long v) {
    calls.incrementAndGet();
    return v;
  }
}

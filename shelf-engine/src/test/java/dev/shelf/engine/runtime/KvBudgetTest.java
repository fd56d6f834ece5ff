package dev.shelf.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class KvBudgetTest {
  private static final long MS = 1_000_000L;

  @Test
  void moreThanTheWholeBudgetFailsAtOnceSayingHowMuch() {
    var budget = new KvBudget(100L << 20);
    assertThatThrownBy(() -> budget.reserve(300L << 20, 10_000 * MS))
        .isInstanceOf(KvBudget.TooLarge.class)
        .hasMessage("needs 300.0 MiB of KV cache but the whole budget is 100.0 MiB");
    assertThat(budget.used()).isZero();
  }

  @Test
  void aSplitPartIsGivenBackOnItsOwn() throws Exception {
    var budget = new KvBudget(100);
    var all = budget.reserve(90, 0);
    var part = all.split(30);
    assertThat(all.bytes()).isEqualTo(60);
    assertThat(part.bytes()).isEqualTo(30);
    assertThat(budget.used()).isEqualTo(90);
    part.close();
    part.close(); // once
    assertThat(budget.used()).isEqualTo(60);
    assertThatThrownBy(() -> all.split(61)).isInstanceOf(IllegalArgumentException.class);
    all.close();
    assertThat(budget.used()).isZero();
    assertThatThrownBy(() -> all.split(1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void whatDoesNotFitBesideOthersWaitsThenFailsAndFitsOnceReleased() throws Exception {
    var budget = new KvBudget(100);
    var a = budget.reserve(70, 0);
    assertThat(budget.used()).isEqualTo(70);

    long t0 = System.nanoTime();
    assertThatThrownBy(() -> budget.reserve(40, 50 * MS))
        .isInstanceOf(KvBudget.Busy.class)
        .hasMessageContaining("in use by other requests");
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(50 * MS);

    var fits = budget.reserve(30, 0); // fits beside a
    a.close();
    a.close(); // once only
    assertThat(budget.used()).isEqualTo(30);
    var b = budget.reserve(70, 0);
    assertThat(budget.used()).isEqualTo(100);
    b.close();
    fits.close();
    assertThat(budget.used()).isZero();
  }

  @Test
  void aWaiterIsServedWhenEnoughIsReleasedAndOthersQueueBehindIt() throws Exception {
    var budget = new KvBudget(100);
    var held = budget.reserve(90, 0);
    var big = CompletableFuture.supplyAsync(() -> reserve(budget, 60));
    awaitWaiting(budget, big);
    // A small one that would fit now still waits its turn behind the big one.
    var small = CompletableFuture.supplyAsync(() -> reserve(budget, 5));
    Thread.sleep(100);
    assertThat(small).isNotDone();

    held.close();
    var bigGot = big.get(5, TimeUnit.SECONDS);
    var smallGot = small.get(5, TimeUnit.SECONDS);
    assertThat(budget.used()).isEqualTo(65);
    bigGot.close();
    smallGot.close();
    assertThat(budget.used()).isZero();
  }

  @Test
  void anInterruptedWaiterLeavesTheLine() throws Exception {
    var budget = new KvBudget(100);
    var held = budget.reserve(100, 0);
    var thrown = new AtomicReference<Throwable>();
    Thread waiter =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    budget.reserve(50, 60_000 * MS);
                  } catch (Throwable t) {
                    thrown.set(t);
                  }
                });
    Thread.sleep(100);
    waiter.interrupt();
    waiter.join(5_000);
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);

    held.close();
    // The line moved past the interrupted ticket: the next one is served at once.
    try (var r = budget.reserve(100, 1_000 * MS)) {
      assertThat(r.bytes()).isEqualTo(100);
    }
  }

  @Test
  void parkedReservationsAreReclaimedLeastRecentlyParkedFirstForOneThatDoesNotFit()
      throws Exception {
    var budget = new KvBudget(100);
    var told = new ArrayList<String>();
    var a = budget.reserve(30, 0);
    var b = budget.reserve(30, 0);
    var running = budget.reserve(30, 0);
    b.park(() -> told.add("b"));
    a.park(() -> told.add("a"));
    assertThat(budget.parked()).isEqualTo(60);

    var fits = budget.reserve(10, 0); // fits beside all three: nothing reclaimed
    assertThat(told).isEmpty();
    var next = budget.reserve(30, 0); // needs 30 of the 60 parked: b, parked first, goes
    assertThat(told).containsExactly("b");
    assertThat(budget.used()).isEqualTo(100);
    assertThat(budget.parked()).isEqualTo(30);
    assertThat(b.bytes()).isEqualTo(30);

    // Parked or not, a holder's own close releases it, once, and it is no longer reclaimed.
    a.close();
    assertThat(budget.parked()).isZero();
    assertThatThrownBy(() -> budget.reserve(40, 0)).isInstanceOf(KvBudget.Busy.class);
    assertThat(told).containsExactly("b");
    a.park(() -> told.add("closed")); // a closed reservation is not parked
    assertThat(budget.parked()).isZero();

    running.park(() -> told.add("running"));
    assertThatThrownBy(() -> running.park(() -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already parked");
    // More than everything parked and free together: what is parked goes, then it waits for the
    // rest, and fails.
    assertThatThrownBy(() -> budget.reserve(80, 0)).isInstanceOf(KvBudget.Busy.class);
    assertThat(told).containsExactly("b", "running");
    assertThat(budget.used()).isEqualTo(40);
    fits.close();
    next.close();
    assertThat(budget.used()).isZero();
  }

  @Test
  void aWaiterTakesTheMemoryOfAReservationTheMomentItIsParked() throws Exception {
    var budget = new KvBudget(100);
    var held = budget.reserve(90, 0);
    var reclaimed = new CompletableFuture<String>();
    var waiter = CompletableFuture.supplyAsync(() -> reserve(budget, 60));
    awaitWaiting(budget, waiter);

    held.park(() -> reclaimed.complete(Thread.currentThread().getName()));
    var got = waiter.get(5, TimeUnit.SECONDS);
    // The waiting thread reclaimed it: the holder's own thread is free to go on.
    assertThat(reclaimed.get(5, TimeUnit.SECONDS)).isNotEqualTo(Thread.currentThread().getName());
    assertThat(budget.used()).isEqualTo(60);
    assertThat(budget.parked()).isZero();
    got.close();
    held.close(); // already closed by the budget: nothing more to release
    assertThat(budget.used()).isZero();
  }

  private static KvBudget.Reservation reserve(KvBudget budget, long bytes) {
    try {
      return budget.reserve(bytes, 10_000 * MS);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void awaitWaiting(KvBudget budget, CompletableFuture<?> f) throws Exception {
    Thread.sleep(100);
    assertThat(f).isNotDone();
    assertThat(budget.used()).isEqualTo(90);
  }
}

package dev.shelf.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.limits.LocalCounters;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** In-process counters: one node, so both "nodes" are the same instance. */
class LocalCountersTest extends CountersContract {
  private final LocalCounters shared = new LocalCounters();

  @Override
  Counters node(int i) {
    return shared;
  }

  @Test
  void theWindowRollsOffAfterAMinute() {
    var now = new AtomicLong(1_000_000);
    var c = new LocalCounters(now::get);
    for (int i = 0; i < 3; i++) {
      assertThat(c.tryWindow("w", 1, 3)).isZero();
    }
    long wait = c.tryWindow("w", 1, 3);
    assertThat(wait).isBetween(50_000L, 60_000L);
    now.addAndGet(wait);
    assertThat(c.tryWindow("w", 1, 3)).isZero();
  }

  @Test
  void budgetsOfEndedPeriodsAreDropped() {
    var now = new AtomicLong(1_000_000);
    var c = new LocalCounters(now::get);
    for (int i = 0; i <= 10_000; i++) {
      c.tryReserve("budget:old:" + i, 1, 10, 2_000_000, () -> 0);
    }
    assertThat(c.budgetUsed("budget:old:0")).isEqualTo(1);
    now.set(3_000_000); // every one of those periods has ended
    c.tryReserve("budget:new", 1, 10, 9_000_000, () -> 0);
    assertThat(c.budgetUsed("budget:old:0")).isEqualTo(-1);
    assertThat(c.budgetUsed("budget:new")).isEqualTo(1);
  }
}

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
}

package dev.shelf.store;

import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.store.testing.TestServices;

/** Real Redis, two connections standing for two Shelf nodes, a fresh key prefix per test. */
class RedisCountersTest extends CountersContract {
  @org.junit.jupiter.api.Test
  void countersLiveInRedisUnderTheirPrefix() {
    String mine = "shelf-test:" + KeySecrets.random(10) + ":";
    try (var c = new RedisCounters(TestServices.redisUrl(), mine);
        var client = io.lettuce.core.RedisClient.create(TestServices.redisUrl());
        var conn = client.connect()) {
      c.tryAcquire("conc:probe", 3);
      var keys = conn.sync().keys(mine + "*");
      org.assertj.core.api.Assertions.assertThat(keys).containsExactly(mine + "conc:probe");
      org.assertj.core.api.Assertions.assertThat(conn.sync().pttl(keys.get(0))).isPositive();
      c.release("conc:probe");
      org.assertj.core.api.Assertions.assertThat(conn.sync().keys(mine + "*")).isEmpty();
    }
  }

  private String prefix = "";

  @Override
  Counters node(int i) {
    if (i == 0) {
      prefix = "shelf-test:" + KeySecrets.random(10) + ":";
    }
    return new RedisCounters(TestServices.redisUrl(), prefix);
  }
}

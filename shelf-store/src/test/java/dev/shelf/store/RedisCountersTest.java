package dev.shelf.store;

import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.store.testing.TestServices;

/** Real Redis, two connections standing for two Shelf nodes, a fresh key prefix per test. */
class RedisCountersTest extends CountersContract {
  @org.junit.jupiter.api.Test
  void countersLiveInRedisUnderTheirPrefix() {
    try (var c =
            new RedisCounters(
                TestServices.redisUrl(), "shelf-test:" + KeySecrets.random(10) + ":");
        var client = io.lettuce.core.RedisClient.create(TestServices.redisUrl());
        var conn = client.connect()) {
      c.tryAcquire("conc:probe", 3);
      var keys = conn.sync().keys("shelf-test:*conc:probe");
      org.assertj.core.api.Assertions.assertThat(keys).hasSize(1);
      org.assertj.core.api.Assertions.assertThat(conn.sync().pttl(keys.get(0))).isPositive();
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

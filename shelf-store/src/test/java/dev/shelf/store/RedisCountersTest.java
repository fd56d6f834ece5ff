package dev.shelf.store;

import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.store.testing.TestServices;

/** Real Redis, two connections standing for two Shelf nodes, a fresh key prefix per test. */
class RedisCountersTest extends CountersContract {
  private String prefix = "";

  @Override
  Counters node(int i) {
    if (i == 0) {
      prefix = "shelf-test:" + KeySecrets.random(10) + ":";
    }
    return new RedisCounters(TestServices.redisUrl(), prefix);
  }
}

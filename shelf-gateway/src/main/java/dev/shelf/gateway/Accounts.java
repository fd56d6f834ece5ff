package dev.shelf.gateway;

import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.tenancy.TenancyStore;

/**
 * The durable side of the platform as the request path needs it: teams and keys, the usage ledger
 * and the limit counters, opened by shelf-store from the configuration. Closing it closes the
 * database pool and the Redis connection.
 */
public record Accounts(
    TenancyStore store, Ledger ledger, Counters counters, AutoCloseable resources)
    implements AutoCloseable {

  @Override
  public void close() throws Exception {
    counters.close();
    resources.close();
  }
}

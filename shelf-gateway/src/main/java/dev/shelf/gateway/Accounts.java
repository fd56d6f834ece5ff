package dev.shelf.gateway;

import dev.shelf.gateway.audit.AuditStore;
import dev.shelf.gateway.audit.ComplaintStore;
import dev.shelf.gateway.config.StoredConfig;
import dev.shelf.gateway.limits.Counters;
import dev.shelf.gateway.metering.Ledger;
import dev.shelf.gateway.tenancy.TenancyStore;
import org.jspecify.annotations.Nullable;

/**
 * The durable side of the platform as the request path needs it: teams and keys, the usage ledger
 * and the limit counters, opened by shelf-store from the configuration, and (when a secret key is
 * at hand) the providers and models stored through the admin API; the content audit and complaints
 * when the store keeps them. Closing it closes the database pool and the Redis connection.
 */
public record Accounts(
    TenancyStore store,
    Ledger ledger,
    Counters counters,
    @Nullable StoredConfig config,
    AutoCloseable resources,
    @Nullable AuditStore audit,
    @Nullable ComplaintStore complaints)
    implements AutoCloseable {

  public Accounts(TenancyStore store, Ledger ledger, Counters counters, AutoCloseable resources) {
    this(store, ledger, counters, null, resources, null, null);
  }

  public Accounts(
      TenancyStore store,
      Ledger ledger,
      Counters counters,
      @Nullable StoredConfig config,
      AutoCloseable resources) {
    this(store, ledger, counters, config, resources, null, null);
  }

  @Override
  public void close() throws Exception {
    counters.close();
    resources.close();
  }
}

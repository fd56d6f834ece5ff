/**
 * Persistence behind the gateway's interfaces: {@link dev.shelf.store.Database} (SQLite or
 * PostgreSQL, one set of Flyway migrations), JDBI repositories for tenancy and the ledger, and
 * Redis counters.
 */
@NullMarked
package dev.shelf.store;

import org.jspecify.annotations.NullMarked;

/**
 * Who may call: teams, users and virtual API keys, their limits and budgets. Keys are kept only as
 * SHA-256 hashes; the store behind {@link dev.shelf.gateway.tenancy.TenancyStore} is SQLite or
 * PostgreSQL (module shelf-store).
 */
@NullMarked
package dev.shelf.gateway.tenancy;

import org.jspecify.annotations.NullMarked;

package dev.shelf.gateway.tenancy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A virtual API key. Only its SHA-256 {@code hash} and a display {@code prefix} are stored; the key
 * itself is shown once, at creation. An {@code admin} key administers its own team (keys, users,
 * usage) through {@code /admin/v1}; only the master key sees every team.
 */
public record ApiKey(
    String id,
    String teamId,
    @Nullable String userId,
    String name,
    String prefix,
    String hash,
    boolean admin,
    List<String> models,
    Limits limits,
    @Nullable Budget budget,
    @Nullable Long expiresMs,
    @Nullable Long revokedMs,
    long createdMs,
    @Nullable Long suspendedUntilMs) {
  public ApiKey {
    models = List.copyOf(models);
  }

  /** A key that was never suspended. */
  public ApiKey(
      String id,
      String teamId,
      @Nullable String userId,
      String name,
      String prefix,
      String hash,
      boolean admin,
      List<String> models,
      Limits limits,
      @Nullable Budget budget,
      @Nullable Long expiresMs,
      @Nullable Long revokedMs,
      long createdMs) {
    this(
        id, teamId, userId, name, prefix, hash, admin, models, limits, budget, expiresMs, revokedMs,
        createdMs, null);
  }

  /** Whether the abuse control has suspended this key at {@code nowMs}. */
  public boolean suspendedAt(long nowMs) {
    return suspendedUntilMs != null && nowMs < suspendedUntilMs;
  }

  /** This key suspended until {@code untilMs}, or lifted with null. */
  public ApiKey withSuspendedUntil(@Nullable Long untilMs) {
    return new ApiKey(
        id, teamId, userId, name, prefix, hash, admin, models, limits, budget, expiresMs, revokedMs,
        createdMs, untilMs);
  }

  public boolean activeAt(long nowMs) {
    return revokedMs == null && (expiresMs == null || nowMs < expiresMs);
  }

  @Override
  public String toString() {
    return "ApiKey[id=" + id + ", team=" + teamId + ", prefix=" + prefix + "]";
  }
}

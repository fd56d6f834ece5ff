package dev.shelf.gateway.tenancy;

import dev.shelf.gateway.tenancy.TenancyStore.AuditEntry;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The administrative operations both the admin API and the CLI perform, each audited with the actor
 * that did it: making teams and keys (a key's secret leaves only in {@link NewKey}, once) and
 * revoking keys.
 */
public final class Tenancy {
  private final TenancyStore store;

  public Tenancy(TenancyStore store) {
    this.store = store;
  }

  public TenancyStore store() {
    return store;
  }

  /** A key just made: the stored key and its secret, which is not kept anywhere. */
  public record NewKey(ApiKey key, String secret) {
    @Override
    public String toString() {
      return "NewKey[" + key + "]";
    }
  }

  public Team createTeam(
      String actor,
      String name,
      List<String> models,
      Limits limits,
      @Nullable Budget budget,
      boolean prepaid,
      String detail) {
    if (store.teamByName(name).isPresent()) {
      throw new IllegalStateException("a team named `" + name + "` exists already");
    }
    var t =
        new Team(
            KeySecrets.newId("team"),
            name,
            models,
            limits,
            budget,
            prepaid ? 0L : null,
            System.currentTimeMillis());
    store.createTeam(t);
    audit(actor, t.id(), "team.create", t.id(), detail);
    return t;
  }

  public NewKey createKey(
      String actor,
      Team team,
      @Nullable String userId,
      String name,
      boolean admin,
      List<String> models,
      Limits limits,
      @Nullable Budget budget,
      @Nullable Long expiresMs,
      String detail) {
    String secret = KeySecrets.newKey();
    var k =
        new ApiKey(
            KeySecrets.newId("key"),
            team.id(),
            userId,
            name,
            KeySecrets.prefix(secret),
            KeySecrets.hash(secret),
            admin,
            models,
            limits,
            budget,
            expiresMs,
            null,
            System.currentTimeMillis());
    store.createKey(k);
    audit(actor, team.id(), "key.create", k.id(), detail);
    return new NewKey(k, secret);
  }

  /** Revokes a key (again is a no-op that keeps the first revocation time). */
  public ApiKey revokeKey(String actor, ApiKey k) {
    var revoked =
        new ApiKey(
            k.id(),
            k.teamId(),
            k.userId(),
            k.name(),
            k.prefix(),
            k.hash(),
            k.admin(),
            k.models(),
            k.limits(),
            k.budget(),
            k.expiresMs(),
            k.revokedMs() != null ? k.revokedMs() : System.currentTimeMillis(),
            k.createdMs(),
            k.suspendedUntilMs());
    store.updateKey(revoked);
    audit(actor, k.teamId(), "key.revoke", k.id(), "{}");
    return revoked;
  }

  /**
   * Suspends a key until {@code untilMs} (the abuse control), or lifts a suspension with null;
   * audited with {@code detail} (a JSON object).
   */
  public ApiKey suspendKey(String actor, ApiKey k, @Nullable Long untilMs, String detail) {
    ApiKey changed = k.withSuspendedUntil(untilMs);
    store.updateKey(changed);
    audit(actor, k.teamId(), untilMs == null ? "key.unsuspend" : "key.suspend", k.id(), detail);
    return changed;
  }

  public void audit(
      String actor, @Nullable String team, String action, String target, String detail) {
    store.audit(new AuditEntry(System.currentTimeMillis(), actor, team, action, target, detail));
  }
}

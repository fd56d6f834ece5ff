package dev.shelf.gateway.tenancy;

import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Durable teams, users, keys, credits and the admin audit trail. Implementations (shelf-store) are
 * thread-safe; every method is one transaction.
 */
public interface TenancyStore {
  Team createTeam(Team team);

  Optional<Team> team(String id);

  Optional<Team> teamByName(String name);

  List<Team> teams();

  Team updateTeam(Team team);

  /** Deletes a team that has no active keys; returns false when it did not exist. */
  boolean deleteTeam(String id);

  User createUser(User user);

  List<User> users(String teamId);

  boolean deleteUser(String teamId, String id);

  ApiKey createKey(ApiKey key);

  Optional<ApiKey> keyByHash(String hash);

  Optional<ApiKey> key(String id);

  /** Keys of one team, or of all teams when {@code teamId} is null. */
  List<ApiKey> keys(@Nullable String teamId);

  ApiKey updateKey(ApiKey key);

  /** Whether any key that is not revoked exists (then the server requires keys). */
  boolean anyActiveKey();

  /**
   * Adds {@code deltaNanos} (negative to draw) to a prepaid team's balance and records the
   * transaction; returns the new balance.
   */
  long addCredit(String teamId, long deltaNanos, String kind, String note);

  /** Stores a redemption code by its hash: single use, worth {@code amountNanos}. */
  void createRedemptionCode(String codeHash, long amountNanos, @Nullable Long expiresMs);

  /**
   * Redeems a code for a team, once: returns the amount credited, or empty when the code is
   * unknown, used or expired.
   */
  Optional<Long> redeem(String codeHash, String teamId, long nowMs);

  void audit(AuditEntry entry);

  List<AuditEntry> audit(@Nullable String teamId, int limit);

  /** An administrative action: who did what to which object. */
  record AuditEntry(
      long atMs,
      String actor,
      @Nullable String teamId,
      String action,
      String target,
      String detail) {}
}

package dev.shelf.gateway.tenancy;

import dev.shelf.gateway.audit.AuditMode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A team: the unit that owns keys, pays and is isolated from other teams. Its limits and budget
 * bound every one of its keys together; {@code models} empty means every model. {@code creditNanos}
 * non-null makes the team prepaid: it is the total ever credited (top-ups and redeemed codes), the
 * balance is that less everything the team has spent, and requests stop at zero. {@code audit} is
 * how much of its traffic the content audit keeps; null follows {@code audit.default}.
 */
public record Team(
    String id,
    String name,
    List<String> models,
    Limits limits,
    @Nullable Budget budget,
    @Nullable Long creditNanos,
    long createdMs,
    @Nullable AuditMode audit) {
  public Team {
    models = List.copyOf(models);
  }

  /** A team that follows the configured default audit mode. */
  public Team(
      String id,
      String name,
      List<String> models,
      Limits limits,
      @Nullable Budget budget,
      @Nullable Long creditNanos,
      long createdMs) {
    this(id, name, models, limits, budget, creditNanos, createdMs, null);
  }

  public Team withAudit(@Nullable AuditMode mode) {
    return new Team(id, name, models, limits, budget, creditNanos, createdMs, mode);
  }
}

package dev.shelf.gateway.tenancy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A team: the unit that owns keys, pays and is isolated from other teams. Its limits and budget
 * bound every one of its keys together; {@code models} empty means every model. {@code creditNanos}
 * non-null makes the team prepaid: it is the total ever credited (top-ups and redeemed codes), the
 * balance is that less everything the team has spent, and requests stop at zero.
 */
public record Team(
    String id,
    String name,
    List<String> models,
    Limits limits,
    @Nullable Budget budget,
    @Nullable Long creditNanos,
    long createdMs) {
  public Team {
    models = List.copyOf(models);
  }
}

package dev.shelf.gateway.tenancy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Who is calling, as the request path sees it: the key and its team when the key is a stored one,
 * or a synthetic identity for the master key, keys from {@code shelf.yaml} and open (keyless) mode.
 * {@code keyId} and {@code teamId} are what the ledger records.
 */
public record Principal(
    String keyId,
    String teamId,
    String name,
    boolean master,
    boolean admin,
    List<String> models,
    @Nullable ApiKey key,
    @Nullable Team team) {

  public Principal {
    models = List.copyOf(models);
  }

  /** The team of keys from the file, of the master key and of open mode. */
  public static final String DEFAULT_TEAM = "default";

  public static final Principal ANONYMOUS =
      new Principal("anonymous", DEFAULT_TEAM, "anonymous", true, true, List.of(), null, null);

  public static final Principal MASTER =
      new Principal("master", DEFAULT_TEAM, "master", true, true, List.of(), null, null);

  public static Principal fileKey(String name, List<String> models) {
    return new Principal("file:" + name, DEFAULT_TEAM, name, false, false, models, null, null);
  }

  public static Principal stored(ApiKey key, @Nullable Team team) {
    return new Principal(
        key.id(), key.teamId(), key.name(), false, key.admin(), List.of(), key, team);
  }

  /** Whether both the key and its team allow {@code model} (an empty list allows all). */
  public boolean mayUse(String model) {
    if (key != null && !key.models().isEmpty() && !key.models().contains(model)) {
      return false;
    }
    if (team != null && !team.models().isEmpty() && !team.models().contains(model)) {
      return false;
    }
    return models.isEmpty() || models.contains(model);
  }

  /** Whether this caller may administer {@code teamId}: the master any, a team admin its own. */
  public boolean administers(String teamId) {
    return master || (admin && this.teamId.equals(teamId));
  }
}

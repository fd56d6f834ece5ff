package dev.shelf.gateway.metering;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A usage report: totals over {@code [fromDay, toDay]} (ISO dates, UTC, inclusive) grouped by one
 * dimension, limited to a team when {@code teamId} is set and to a key when {@code keyId} is.
 */
public record UsageQuery(
    GroupBy groupBy,
    String fromDay,
    String toDay,
    @Nullable String teamId,
    @Nullable String keyId) {

  public enum GroupBy {
    KEY("key_id"),
    TEAM("team_id"),
    MODEL("model"),
    DEPLOYMENT("deployment"),
    DAY("day");

    private final String column;

    GroupBy(String column) {
      this.column = column;
    }

    /** The rollup column: a fixed identifier, never user input. */
    public String column() {
      return column;
    }

    public static GroupBy parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "group_by must be one of key, team, model, deployment, day but was " + s, e);
      }
    }
  }
}

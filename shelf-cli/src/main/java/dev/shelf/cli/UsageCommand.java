package dev.shelf.cli;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.metering.UsageQuery;
import dev.shelf.gateway.metering.UsageRow;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shelf usage}: a usage report from the ledger's daily rollups, with a cost bar chart. */
@Command(
    name = "usage",
    description = "Usage and cost by key, team, model, deployment or day.",
    mixinStandardHelpOptions = true)
final class UsageCommand implements Callable<Integer> {
  @Mixin StoreOptions store = new StoreOptions();

  @Option(
      names = "--group-by",
      description = "key, team, model, deployment or day (default: model).",
      defaultValue = "model")
  String groupBy = "model";

  @Option(names = "--from", description = "First day, YYYY-MM-DD (default: 29 days before --to).")
  @Nullable String from;

  @Option(names = "--to", description = "Last day, YYYY-MM-DD (default: today, UTC).")
  @Nullable String to;

  @Option(names = "--team", description = "Only this team (name or id).")
  @Nullable String team;

  @Option(names = "--csv", description = "Print CSV instead of a table.")
  boolean csv;

  @Override
  public Integer call() throws Exception {
    ShelfConfig c = store.load();
    String cur = c.billing().currency();
    String last =
        to == null ? LocalDate.now(ZoneOffset.UTC).toString() : LocalDate.parse(to).toString();
    String first =
        from == null
            ? LocalDate.parse(last).minusDays(29).toString()
            : LocalDate.parse(from).toString();
    var g = UsageQuery.GroupBy.parse(groupBy);
    try (Accounts a = store.open(c)) {
      String teamId = team == null ? null : TeamsCommand.find(a, team).id();
      List<UsageRow> rows = a.ledger().report(new UsageQuery(g, first, last, teamId, null));
      String col = g.name().toLowerCase(Locale.ROOT);
      if (csv) {
        System.out.println(
            col + ",requests,errors,prompt_tokens,completion_tokens,cost," + "currency");
        for (UsageRow r : rows) {
          System.out.println(
              String.join(
                  ",",
                  r.group(),
                  Long.toString(r.requests()),
                  Long.toString(r.errors()),
                  Long.toString(r.promptTokens()),
                  Long.toString(r.completionTokens()),
                  Money.decimal(r.costNanos()).toPlainString(),
                  cur));
        }
        return 0;
      }
      System.out.println("usage " + first + " .. " + last + " (UTC), cost in " + cur);
      long max = rows.stream().mapToLong(UsageRow::costNanos).max().orElse(0);
      var table = new ArrayList<List<String>>();
      table.add(
          List.of(
              col.toUpperCase(Locale.ROOT),
              "REQUESTS",
              "ERRORS",
              "PROMPT",
              "COMPLETION",
              "COST",
              ""));
      long total = 0;
      for (UsageRow r : rows) {
        total += r.costNanos();
        table.add(
            List.of(
                r.group().isEmpty() ? "(none)" : r.group(),
                Long.toString(r.requests()),
                Long.toString(r.errors()),
                Long.toString(r.promptTokens()),
                Long.toString(r.completionTokens()),
                Money.decimal(r.costNanos()).toPlainString(),
                bar(r.costNanos(), max, 30)));
      }
      Table.print(table);
      System.out.println("total " + Money.format(total, cur));
    }
    return 0;
  }

  /** A horizontal bar in eighths of a block, so small differences still show. */
  static String bar(long v, long max, int width) {
    if (max <= 0 || v <= 0) {
      return "";
    }
    long eighths = Math.max(1, v * width * 8 / max);
    var sb = new StringBuilder();
    sb.append("█".repeat((int) (eighths / 8)));
    int rest = (int) (eighths % 8);
    if (rest > 0) {
      sb.append("▏▎▍▌▋▊▉".charAt(rest - 1));
    }
    return sb.toString();
  }
}

package dev.shelf.cli;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.metering.Money;
import dev.shelf.gateway.tenancy.Budget;
import dev.shelf.gateway.tenancy.Limits;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.gateway.tenancy.Tenancy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shelf teams}: create, list and credit teams. */
@Command(
    name = "teams",
    description = "Manage teams: the unit that owns keys, has limits and budgets, and pays.",
    mixinStandardHelpOptions = true,
    subcommands = {
      TeamsCommand.Create.class,
      TeamsCommand.ListTeams.class,
      TeamsCommand.Credit.class
    })
final class TeamsCommand implements Runnable {
  @picocli.CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Limits and a budget, as options shared by teams and keys. */
  static final class LimitOptions {
    @Option(names = "--rpm", description = "Requests per minute.")
    @Nullable Integer rpm;

    @Option(names = "--tpm", description = "Tokens (prompt + completion) per minute.")
    @Nullable Integer tpm;

    @Option(names = "--max-concurrent", description = "Requests in flight at once.")
    @Nullable Integer maxConcurrent;

    @Option(names = "--budget", description = "Spending cap, in the billing currency (e.g. 25.50).")
    @Nullable String budget;

    @Option(
        names = "--period",
        description = "Budget period: day, month or total (default: month).",
        defaultValue = "month")
    String period = "month";

    @Option(
        names = "--models",
        split = ",",
        description = "Allowed models, comma-separated (default: all).")
    List<String> models = new ArrayList<>();

    Limits limits() {
      return new Limits(rpm, tpm, maxConcurrent);
    }

    @Nullable Budget budget() {
      return budget == null ? null : new Budget(Money.parse(budget), Budget.Period.parse(period));
    }
  }

  @Command(name = "create", description = "Create a team.", mixinStandardHelpOptions = true)
  static final class Create implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @ArgGroup(exclusive = false)
    LimitOptions limits = new LimitOptions();

    @Parameters(index = "0", description = "The team's name (unique).")
    String name = "";

    @Option(names = "--prepaid", description = "Draw requests from a credit balance.")
    boolean prepaid;

    @Override
    public Integer call() throws Exception {
      ShelfConfig c = store.load();
      try (Accounts a = store.open(c)) {
        Team t =
            new Tenancy(a.store())
                .createTeam(
                    "cli",
                    name,
                    limits.models,
                    limits.limits(),
                    limits.budget(),
                    prepaid,
                    "{\"via\": \"cli\"}");
        System.out.println("created team " + t.name() + " (" + t.id() + ")");
      }
      return 0;
    }
  }

  @Command(name = "list", description = "List teams.", mixinStandardHelpOptions = true)
  static final class ListTeams implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Override
    public Integer call() throws Exception {
      ShelfConfig c = store.load();
      String cur = c.billing().currency();
      try (Accounts a = store.open(c)) {
        var rows = new ArrayList<List<String>>();
        rows.add(List.of("ID", "NAME", "RPM", "TPM", "CONCURRENT", "BUDGET", "CREDIT", "MODELS"));
        for (Team t : a.store().teams()) {
          rows.add(
              List.of(
                  t.id(),
                  t.name(),
                  str(t.limits().rpm()),
                  str(t.limits().tpm()),
                  str(t.limits().maxConcurrent()),
                  budget(t.budget(), cur),
                  t.creditNanos() == null ? "-" : Money.format(t.creditNanos(), cur),
                  t.models().isEmpty() ? "all" : String.join(",", t.models())));
        }
        Table.print(rows);
      }
      return 0;
    }
  }

  @Command(
      name = "credit",
      description = "Add credit to a prepaid team.",
      mixinStandardHelpOptions = true)
  static final class Credit implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Parameters(index = "0", description = "Team name or id.")
    String team = "";

    @Parameters(index = "1", description = "Amount in the billing currency.")
    String amount = "";

    @Option(names = "--note", description = "Why (an invoice number, say).")
    String note = "";

    @Override
    public Integer call() throws Exception {
      ShelfConfig c = store.load();
      try (Accounts a = store.open(c)) {
        Team t = find(a, team);
        if (t.creditNanos() == null) {
          System.err.println("error: team " + t.name() + " is not prepaid");
          return 1;
        }
        long total = a.store().addCredit(t.id(), Money.parse(amount), "topup", note);
        new Tenancy(a.store())
            .audit("cli", t.id(), "credit.add", t.id(), "{\"amount\": \"" + amount + "\"}");
        System.out.println(
            "credited "
                + t.name()
                + ": total credit "
                + Money.format(total, c.billing().currency()));
      }
      return 0;
    }
  }

  static Team find(Accounts a, String nameOrId) {
    return a.store()
        .team(nameOrId)
        .or(() -> a.store().teamByName(nameOrId))
        .orElseThrow(() -> new IllegalArgumentException("no team named or with id " + nameOrId));
  }

  static String str(@Nullable Integer v) {
    return v == null ? "-" : v.toString();
  }

  static String budget(@Nullable Budget b, String currency) {
    return b == null ? "-" : Money.format(b.amountNanos(), currency) + "/" + b.period().wire();
  }
}

package dev.shelf.cli;

import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.tenancy.ApiKey;
import dev.shelf.gateway.tenancy.Team;
import dev.shelf.gateway.tenancy.Tenancy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shelf keys}: create, list and revoke virtual API keys. */
@Command(
    name = "keys",
    description = "Manage virtual API keys (shown once at creation, stored only as hashes).",
    mixinStandardHelpOptions = true,
    subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
  @picocli.CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "create", description = "Create a key.", mixinStandardHelpOptions = true)
  static final class Create implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @ArgGroup(exclusive = false)
    TeamsCommand.LimitOptions limits = new TeamsCommand.LimitOptions();

    @Option(
        names = "--team",
        required = true,
        description = "The team (name or id) the key belongs to.")
    String team = "";

    @Option(names = "--name", description = "A label for the key.", defaultValue = "key")
    String name = "key";

    @Option(names = "--admin", description = "The key administers its team.")
    boolean admin;

    @Option(names = "--expires-in-days", description = "The key stops working after this.")
    @Nullable Integer expiresInDays;

    @Override
    public Integer call() throws Exception {
      ShelfConfig c = store.load();
      try (Accounts a = store.open(c)) {
        Team t = TeamsCommand.find(a, team);
        var made =
            new Tenancy(a.store())
                .createKey(
                    "cli",
                    t,
                    null,
                    name,
                    admin,
                    limits.models,
                    limits.limits(),
                    limits.budget(),
                    expiresInDays == null
                        ? null
                        : System.currentTimeMillis() + expiresInDays * 86_400_000L,
                    "{\"via\": \"cli\"}");
        System.err.println(
            "created key " + made.key().id() + " in team " + t.name() + "; it is shown once:");
        System.out.println(made.secret());
      }
      return 0;
    }
  }

  @Command(name = "list", description = "List keys.", mixinStandardHelpOptions = true)
  static final class ListKeys implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Option(names = "--team", description = "Only this team (name or id).")
    @Nullable String team;

    @Override
    public Integer call() throws Exception {
      ShelfConfig c = store.load();
      String cur = c.billing().currency();
      try (Accounts a = store.open(c)) {
        String teamId = team == null ? null : TeamsCommand.find(a, team).id();
        var rows = new ArrayList<List<String>>();
        rows.add(
            List.of("ID", "TEAM", "NAME", "PREFIX", "STATUS", "RPM", "TPM", "BUDGET", "MODELS"));
        long now = System.currentTimeMillis();
        for (ApiKey k : a.store().keys(teamId)) {
          String status =
              k.revokedMs() != null
                  ? "revoked"
                  : k.expiresMs() != null && now >= k.expiresMs()
                      ? "expired"
                      : k.expiresMs() != null
                          ? "until "
                              + Instant.ofEpochMilli(k.expiresMs()).toString().substring(0, 10)
                          : "active";
          rows.add(
              List.of(
                  k.id(),
                  k.teamId(),
                  k.name() + (k.admin() ? " (admin)" : ""),
                  k.prefix() + "…",
                  status,
                  TeamsCommand.str(k.limits().rpm()),
                  TeamsCommand.str(k.limits().tpm()),
                  TeamsCommand.budget(k.budget(), cur),
                  k.models().isEmpty() ? "all" : String.join(",", k.models())));
        }
        Table.print(rows);
      }
      return 0;
    }
  }

  @Command(name = "revoke", description = "Revoke a key.", mixinStandardHelpOptions = true)
  static final class Revoke implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Parameters(index = "0", description = "The key's id (key_...).")
    String id = "";

    @Override
    public Integer call() throws Exception {
      ShelfConfig c = store.load();
      try (Accounts a = store.open(c)) {
        ApiKey k =
            a.store()
                .key(id)
                .orElseThrow(() -> new IllegalArgumentException("no key with id " + id));
        new Tenancy(a.store()).revokeKey("cli", k);
        System.out.println("revoked " + id + " (servers refuse it within a second)");
      }
      return 0;
    }
  }
}

package dev.shelf.cli;

import dev.shelf.gateway.catalog.ModelMap;
import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ShelfConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shelf models}: the shelf's models as a table, or the whole built-in model map. */
@Command(
    name = "models",
    description = "List the models on the shelf (or, with --all, the built-in model map).",
    mixinStandardHelpOptions = true)
final class ModelsCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      description = "Configuration file (default: ./shelf.yaml when it exists).")
  @Nullable Path config;

  @Option(names = "--all", description = "List the built-in model map instead of the shelf.")
  boolean all;

  @Option(names = "--vendor", description = "Only this vendor (e.g. deepseek, alibaba, openai).")
  @Nullable String vendor;

  @Option(names = "--country", description = "Only vendors from this country (e.g. CN, US).")
  @Nullable String country;

  @Option(names = "--open-weights", description = "Only models with open weights.")
  boolean openWeights;

  @Option(names = "--min-params", description = "Only models of at least this many billions.")
  @Nullable Double minParams;

  @Option(
      names = "--capability",
      description = "Only models with this capability (tools, vision, json, reasoning, embedding).")
  @Nullable String capability;

  @Override
  public Integer call() {
    if (all) {
      printMap();
      return 0;
    }
    Path file = config;
    if (file == null && Files.exists(Path.of("shelf.yaml"))) {
      file = Path.of("shelf.yaml");
    }
    var loader = new ConfigLoader(System.getenv());
    ShelfConfig c = file == null ? loader.defaults() : loader.load(file);
    if (c.models().isEmpty()) {
      System.out.println(
          "The shelf is empty ("
              + c.source()
              + "). `shelf models --all` lists the "
              + ModelMap.builtIn().models().size()
              + " models Shelf knows.");
      return 0;
    }
    var rows = new ArrayList<List<String>>();
    rows.add(
        List.of("MODEL", "DEPLOYMENT", "VENDOR", "CONTEXT", "INPUT/M", "OUTPUT/M", "CAPABILITIES"));
    for (ModelSpec m : c.models()) {
      ModelMap.@Nullable Info info = ModelMap.builtIn().find(m.id());
      if (info == null) {
        info = ModelMap.builtIn().find(m.upstream());
      }
      if (!matches(info)) {
        continue;
      }
      Price p = m.price() != null ? m.price() : info != null ? info.price() : null;
      Integer ctx = m.context() != null ? m.context() : info != null ? info.context() : null;
      var caps = new java.util.TreeSet<>(m.capabilities());
      if (info != null) {
        caps.addAll(info.capabilities());
      }
      rows.add(
          List.of(
              m.id(),
              m.deploymentId(),
              info == null ? "-" : info.vendor(),
              ctx == null ? "-" : Integer.toString(ctx),
              p == null ? "-" : money(p.input(), p.currency()),
              p == null ? "-" : money(p.output(), p.currency()),
              String.join(",", caps)));
    }
    Table.print(rows);
    return 0;
  }

  private void printMap() {
    var rows = new ArrayList<List<String>>();
    rows.add(
        List.of(
            "MODEL",
            "VENDOR",
            "CC",
            "OPEN",
            "PARAMS",
            "CONTEXT",
            "INPUT/M",
            "OUTPUT/M",
            "RELEASED"));
    for (ModelMap.Info i : ModelMap.builtIn().models()) {
      if (!matches(i)) {
        continue;
      }
      Price p = i.price();
      rows.add(
          List.of(
              i.id(),
              i.vendor(),
              i.country(),
              i.openWeights() ? "yes" : "no",
              i.paramsB() == null ? "-" : trim(i.paramsB()) + "B",
              Integer.toString(i.context()),
              p == null ? "-" : money(p.input(), p.currency()),
              p == null ? "-" : money(p.output(), p.currency()),
              i.released() == null ? "-" : i.released()));
    }
    Table.print(rows);
    System.out.println(
        (rows.size() - 1)
            + " models; list prices per million tokens as of "
            + ModelMap.builtIn().asOf()
            + ".");
  }

  private boolean matches(ModelMap.@Nullable Info i) {
    boolean filtering =
        vendor != null || country != null || openWeights || minParams != null || capability != null;
    if (i == null) {
      return !filtering;
    }
    if (vendor != null && !i.vendor().equalsIgnoreCase(vendor)) {
      return false;
    }
    if (country != null && !i.country().equalsIgnoreCase(country)) {
      return false;
    }
    if (openWeights && !i.openWeights()) {
      return false;
    }
    if (minParams != null && (i.paramsB() == null || i.paramsB() < minParams)) {
      return false;
    }
    return capability == null || i.capabilities().contains(capability);
  }

  private static String money(double v, String currency) {
    String sym =
        switch (currency) {
          case "USD" -> "$";
          case "CNY" -> "¥";
          case "EUR" -> "€";
          default -> currency + " ";
        };
    return sym + trim(v);
  }

  private static String trim(double v) {
    if (v == Math.rint(v)) {
      return Long.toString((long) v);
    }
    return new java.math.BigDecimal(v)
        .round(new java.math.MathContext(3))
        .stripTrailingZeros()
        .toPlainString();
  }
}

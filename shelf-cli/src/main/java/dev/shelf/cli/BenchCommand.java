package dev.shelf.cli;

import picocli.CommandLine.Command;

/** {@code shelf bench ...}: benchmarks that report ratios against a baseline run alongside. */
@Command(
    name = "bench",
    description = "Benchmarks (each runs its baseline in the same run and prints ratios).",
    subcommands = {
      dev.shelf.cli.bench.GatewayBench.class,
      dev.shelf.cli.bench.LedgerBench.class,
      dev.shelf.cli.bench.EngineBench.class
    })
final class BenchCommand implements Runnable {
  @SuppressWarnings("NullAway.Init")
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}

package dev.shelf.cli;

import picocli.CommandLine.Command;

/** {@code shelf version}. */
@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Runnable {
  @Override
  public void run() {
    for (String line : new Main.Version().getVersion()) {
      System.out.println(line);
    }
  }
}

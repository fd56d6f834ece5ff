package dev.shelf.cli;

import dev.shelf.cli.eval.EvalCommand;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code shelf} command. */
@Command(
    name = "shelf",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Shelf: one OpenAI-compatible endpoint in front of every model.",
    subcommands = {
      ServeCommand.class,
      ModelsCommand.class,
      ChatCommand.class,
      KeysCommand.class,
      TeamsCommand.class,
      UsageCommand.class,
      ComplaintsCommand.class,
      LabelsCommand.class,
      BenchCommand.class,
      SynthCommand.class,
      EvalCommand.class,
      PullCommand.class,
      TokenizeCommand.class,
      GenerateCommand.class,
      PerplexityCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Held so the level sticks: java.util.logging keeps loggers weakly. */
  private static final java.util.logging.Logger QUIET_MIGRATIONS =
      java.util.logging.Logger.getLogger("org.flywaydb");

  private static final java.util.logging.Logger QUIET_POOL =
      java.util.logging.Logger.getLogger("com.zaxxer.hikari");

  /** The tokenizer library probes for CUDA and warns on every CPU-only machine. */
  private static final java.util.logging.Logger QUIET_CUDA_PROBE =
      java.util.logging.Logger.getLogger("ai.djl.util.cuda");

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty(
          "java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    }
    // schema migrations report each step at INFO; only problems are worth a CLI user's attention
    QUIET_MIGRATIONS.setLevel(java.util.logging.Level.WARNING);
    QUIET_POOL.setLevel(java.util.logging.Level.WARNING);
    QUIET_CUDA_PROBE.setLevel(java.util.logging.Level.SEVERE);
    System.exit(run(args));
  }

  public static int run(String... args) {
    return new CommandLine(new Main())
        .setExecutionExceptionHandler(
            (ex, cmd, parsed) -> {
              cmd.getErr().println(cmd.getColorScheme().errorText("error: " + ex.getMessage()));
              return 1;
            })
        .execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static String version() {
    try (InputStream in = Main.class.getResourceAsStream("/dev/shelf/cli/version.properties")) {
      var p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "dev");
    } catch (IOException e) {
      return "dev";
    }
  }

  /** Prints the version for {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "shelf " + version(),
        "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}

package dev.shelf.cli;

import dev.shelf.engine.model.SyntheticModel;
import dev.shelf.engine.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf synth}: writes a synthetic GGUF file of a benchmark shape, of the shape's
 * architecture ({@code llama}, {@code qwen2} or {@code qwen3}; random weights and biases, a
 * synthetic 32,000-token SentencePiece vocabulary, tied embeddings), for {@code shelf bench engine}
 * and tests. See {@link SyntheticModel}.
 */
@Command(
    name = "synth",
    mixinStandardHelpOptions = true,
    description = {
      "Write a synthetic GGUF file of a benchmark shape (a llama, qwen2 or qwen3 model): random"
          + " weights, a synthetic 32,000-token SentencePiece vocabulary, tied embeddings."
    })
final class SynthCommand implements Callable<Integer> {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--shape",
      required = true,
      description =
          "llama32-1b (llama), qwen25-05b (qwen2), qwen3-06b (qwen3), or tiny, tiny-qwen2,"
              + " tiny-qwen3 for tests (shapes as in BENCHMARKS.md and the README).")
  String shape = "";

  @Option(
      names = "--type",
      defaultValue = "Q8_0",
      description =
          "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q6_K, Q4_K_M or Q5_K_M (llama.cpp's"
              + " mixes);"
              + " default"
              + " ${DEFAULT-VALUE}.")
  String type = "Q8_0";

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the weights.")
  long seed = 1;

  @Option(
      names = "--threads",
      description = "Threads that generate the weights (default: the CPU count).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--no-progress", description = "Print no progress bar on stderr.")
  boolean noProgress;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "OUT.gguf", description = "The file to write.")
  Path out;

  @Override
  public Integer call() throws Exception {
    SyntheticModel.Shape s;
    try {
      s = SyntheticModel.shape(shape);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (!SyntheticModel.fileTypes().contains(type.toUpperCase(Locale.ROOT))) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "unknown --type '" + type + "'; known: " + String.join(", ", SyntheticModel.fileTypes()));
    }
    if (threads < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--threads must be >= 1 but was " + threads);
    }
    PrintWriter err = spec.commandLine().getErr();
    ProgressBar bar = new ProgressBar(err, !noProgress, "writing " + out.getFileName());
    long started = System.nanoTime();
    try (Parallel parallel = new Parallel(threads)) {
      SyntheticModel.write(out, s, type, seed, parallel, bar::update);
    }
    bar.finish();
    double seconds = (System.nanoTime() - started) / 1e9;
    PrintWriter o = spec.commandLine().getOut();
    o.printf(
        Locale.ROOT,
        "%s: %s (%s) %s, %.2f B parameters, %s, in %.1f s%n",
        out,
        s.name(),
        s.architecture(),
        type.toUpperCase(Locale.ROOT),
        s.parameters() / 1e9,
        ProgressBar.bytes(Files.size(out)),
        seconds);
    o.flush();
    return 0;
  }

  /** A bar on stderr, redrawn in place at most ten times a second. */
  static final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final boolean on;
    private final String label;
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintWriter err, boolean on, String label) {
      this.err = err;
      this.on = on;
      this.label = label;
    }

    synchronized void update(long done, long total) {
      long now = System.nanoTime();
      if (!on || (now - lastDraw < 100_000_000L && done < total)) {
        return;
      }
      lastDraw = now;
      double f = total == 0 ? 1 : (double) done / total;
      int filled = (int) Math.round(f * WIDTH);
      err.printf(
          Locale.ROOT,
          "\r%s [%s%s] %3.0f%% %s / %s",
          label,
          "#".repeat(filled),
          ".".repeat(WIDTH - filled),
          f * 100,
          bytes(done),
          bytes(total));
      err.flush();
      drawn = true;
    }

    void finish() {
      if (drawn) {
        err.println();
        err.flush();
      }
    }

    static String bytes(long n) {
      if (n >= 1L << 30) {
        return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
      }
      return String.format(Locale.ROOT, "%.0f MiB", n / (double) (1L << 20));
    }
  }
}

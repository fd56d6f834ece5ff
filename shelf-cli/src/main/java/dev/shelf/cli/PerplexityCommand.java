package dev.shelf.cli;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.Perplexity;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf perplexity}: the perplexity of a text file under a model, as llama.cpp's {@code
 * llama-perplexity -c N} computes it by default (see {@link Perplexity}): the running value after
 * each chunk on stderr, the final one on stdout.
 */
@Command(
    name = "perplexity",
    mixinStandardHelpOptions = true,
    description =
        "Compute MODEL's perplexity on FILE as llama-perplexity does by default: non-overlapping"
            + " chunks of --ctx tokens, BOS first in each, the second half of each scored.")
final class PerplexityCommand implements Callable<Integer> {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "MODEL", description = "A GGUF file, or a name in models/.")
  String model;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "1", paramLabel = "FILE", description = "A UTF-8 text file.")
  Path text;

  @Option(names = "--ctx", defaultValue = "512", description = "Chunk length (default: 512).")
  int ctx = 512;

  @Option(names = "--threads", description = "Engine threads (default: the CPU count).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--data-dir", description = "Data directory (default: ./data).")
  Path dataDir = Path.of("data");

  @Override
  public Integer call() throws Exception {
    if (ctx < 4) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--ctx must be >= 4 but was " + ctx);
    }
    if (threads < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--threads must be >= 1 but was " + threads);
    }
    Path path = ModelPaths.resolve(spec.commandLine(), model, dataDir);
    String content = Files.readString(text, StandardCharsets.UTF_8);
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (GgufFile file = GgufFile.open(path);
        Parallel parallel = new Parallel(threads)) {
      Tokenizer tokenizer = Tokenizer.fromGguf(file);
      int[] tokens = tokenizer.encode(content, true);
      if (tokens.length < ctx) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            text + " has " + tokens.length + " tokens, fewer than one chunk of --ctx " + ctx);
      }
      LlamaModel llama = LlamaModel.load(file, Simd.defaults(), parallel);
      double ppl =
          Perplexity.of(
              llama,
              tokens,
              ctx,
              tokenizer.bos(),
              (c, chunks, running) -> {
                err.printf(Locale.ROOT, "[%d/%d] %.4f%n", c + 1, chunks, running);
                err.flush();
              });
      o.printf(
          Locale.ROOT,
          "%d tokens, %d chunks of %d: perplexity %.4f%n",
          tokens.length,
          tokens.length / ctx,
          ctx,
          ppl);
    }
    o.flush();
    return 0;
  }
}

package dev.shelf.cli;

import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf tokenize}: the token ids of a text under a GGUF file's tokenizer, as llama.cpp's
 * {@code llama-tokenize --ids} prints them (and, with {@code --pieces}, its {@code id -> 'piece'}
 * lines).
 */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = "Print the token ids of TEXT under MODEL's tokenizer.")
final class TokenizeCommand implements Callable<Integer> {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "MODEL", description = "A GGUF file, or a name in models/.")
  String model;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "1", paramLabel = "TEXT", description = "The text to tokenize.")
  String text;

  @Option(
      names = "--no-special",
      description = "Add no BOS/EOS the file asks for, and read special tokens in TEXT as text.")
  boolean noSpecial;

  @Option(names = "--pieces", description = "Print one 'id -> piece' line per token.")
  boolean pieces;

  @Option(names = "--data-dir", description = "Data directory (default: ./data).")
  Path dataDir = Path.of("data");

  @Override
  public Integer call() throws Exception {
    Path path = ModelPaths.resolve(spec.commandLine(), model, dataDir);
    PrintWriter o = spec.commandLine().getOut();
    try (GgufFile file = GgufFile.open(path)) {
      Tokenizer tokenizer = Tokenizer.fromGguf(file);
      int[] ids = tokenizer.encode(text, !noSpecial, !noSpecial);
      if (pieces) {
        for (int id : ids) {
          String piece = new String(tokenizer.piece(id, true), StandardCharsets.UTF_8);
          o.printf(Locale.ROOT, "%6d -> '%s'%n", id, piece);
        }
      } else {
        o.println(Arrays.toString(ids));
      }
    }
    o.flush();
    return 0;
  }
}

package dev.shelf.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.grammar.JsonGrammar;
import dev.shelf.engine.grammar.JsonSchema;
import dev.shelf.engine.grammar.TokenConstraint;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.LlamaSequence;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.engine.tensor.Simd;
import dev.shelf.engine.tokenizer.StreamDecoder;
import dev.shelf.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf generate}: a greedy continuation of a prompt, as text streamed token by token or as
 * the generated token ids (comparable with llama.cpp's {@code --temp 0} runs). The prompt is
 * tokenized with the file's BOS; generation runs {@code -n} tokens and, unless {@code
 * --ignore-eos}, stops early at an end-of-generation token (which it does not print). With {@code
 * --json} or {@code --json-schema FILE} each step picks the most likely token that keeps the text
 * on its way to such JSON (constrained decoding, {@link TokenConstraint}), and generation ends when
 * the JSON is whole.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Continue PROMPT with MODEL, greedily, and print the text or the token ids.")
final class GenerateCommand implements Callable<Integer> {
  @SuppressWarnings("NullAway.Init")
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "0", paramLabel = "MODEL", description = "A GGUF file, or a name in models/.")
  String model;

  @SuppressWarnings("NullAway.Init")
  @Parameters(index = "1", paramLabel = "PROMPT", description = "The text to continue.")
  String prompt;

  @Option(
      names = "--greedy",
      description =
          "Pick the most likely token each step (the only sampler here, and the default).")
  boolean greedy = true;

  @Option(names = "-n", defaultValue = "64", description = "Tokens to generate (default: 64).")
  int n = 64;

  @Option(names = "--ids", description = "Print the generated token ids instead of text.")
  boolean ids;

  @Option(names = "--ignore-eos", description = "Do not stop at an end-of-generation token.")
  boolean ignoreEos;

  @Option(names = "--threads", description = "Engine threads (default: the CPU count).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(names = "--data-dir", description = "Data directory (default: ./data).")
  Path dataDir = Path.of("data");

  @Option(
      names = "--json",
      description = "Constrain the continuation to a JSON object; it ends when the object does.")
  boolean json;

  @Option(
      names = "--json-schema",
      paramLabel = "FILE",
      description = "Constrain the continuation to JSON that this JSON Schema file allows.")
  @Nullable Path jsonSchema;

  @Override
  public Integer call() throws Exception {
    if (n < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "-n must be >= 0 but was " + n);
    }
    if (threads < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--threads must be >= 1 but was " + threads);
    }
    JsonSchema schema = schema();
    Path path = ModelPaths.resolve(spec.commandLine(), model, dataDir);
    PrintWriter o = spec.commandLine().getOut();
    try (GgufFile file = GgufFile.open(path);
        Parallel parallel = new Parallel(threads)) {
      Tokenizer tokenizer = Tokenizer.fromGguf(file);
      int[] promptIds = tokenizer.encode(prompt, true);
      if (promptIds.length == 0) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "the prompt has no tokens (the file adds no BOS): give some text");
      }
      LlamaModel llama = LlamaModel.load(file, Simd.defaults(), parallel);
      LlamaSequence seq = llama.newSequence(promptIds.length + Math.max(n, 1));
      StreamDecoder text = tokenizer.streamDecoder();
      int[] out = new int[n];
      int count = 0;
      if (!ids) {
        o.print(prompt);
        o.flush();
      }
      float[] logits = seq.prefill(promptIds, 0);
      TokenConstraint constraint =
          schema == null ? null : new TokenConstraint(tokenizer, new JsonGrammar(schema, ""));
      while (count < n) {
        if (constraint != null && (constraint.done() || constraint.mask(logits) == 0)) {
          break; // the JSON is whole (or nothing in the vocabulary can go on)
        }
        int next = LlamaSequence.argmax(logits);
        if (!ignoreEos && tokenizer.isEndOfGeneration(next)) {
          break;
        }
        if (constraint != null) {
          constraint.accept(next);
        }
        out[count++] = next;
        if (!ids) {
          o.print(text.accept(next));
          o.flush();
        }
        if (count < n) {
          logits = seq.forward(next, promptIds.length + count - 1);
        }
      }
      if (ids) {
        o.println(Arrays.toString(Arrays.copyOf(out, count)));
      } else {
        o.println(text.finish());
      }
    }
    o.flush();
    return 0;
  }

  /** The schema the options ask for, or null for free text; a bad file is a usage error. */
  private @Nullable JsonSchema schema() {
    if (jsonSchema == null) {
      return json ? JsonSchema.ANY_OBJECT : null;
    }
    try {
      Object parsed = new ObjectMapper().readValue(Files.readString(jsonSchema), Object.class);
      return JsonSchema.compile(parsed);
    } catch (IOException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--json-schema " + jsonSchema + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--json-schema " + jsonSchema + " cannot be enforced: " + e.getMessage());
    }
  }
}

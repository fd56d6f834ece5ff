package dev.shelf.cli.eval;

import dev.shelf.cli.Table;
import dev.shelf.eval.dataset.FreeFormItem;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.OpenAiAnswerer;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.speed.SpeedSweep;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shelf eval speed}: a concurrency sweep per model through an OpenAI-compatible endpoint (a
 * Shelf's {@code /v1}, so keys, limits and metering apply): the same prompt at 1, 2, 4, ... calls
 * in flight, streamed, reporting time to first token, per-request and aggregate output tokens per
 * second and errors, then a bar chart of aggregate throughput against concurrency.
 */
@Command(
    name = "speed",
    description = "Speed test: a concurrency sweep per model (TTFT, tokens/s, errors).",
    mixinStandardHelpOptions = true)
final class EvalSpeedCommand implements Callable<Integer> {
  static final String DEFAULT_PROMPT =
      "Write a short story of about two hundred words about a lighthouse keeper.";

  @Mixin EvalRunCommand.Connection connection = new EvalRunCommand.Connection();

  @Option(
      names = "--models",
      split = ",",
      required = true,
      description = "Shelf models to test, comma-separated.")
  List<String> models = List.of();

  @Option(
      names = "--max-concurrency",
      description = "The highest level: 1, 2, 4, ... up to it (default: 16).")
  int maxConcurrency = 16;

  @Option(
      names = "--requests",
      description = "Calls per level, at least the level's concurrency (default: 16).")
  int requests = 16;

  @Option(names = "--prompt", description = "The prompt every call sends.")
  String prompt = DEFAULT_PROMPT;

  @Option(names = "--max-tokens", description = "Max tokens per answer (default: 256).")
  int maxTokens = 256;

  @Override
  public Integer call() throws Exception {
    HttpClient http = connection.client();
    var item = new FreeFormItem("speed", "speed", 1, "speed", prompt, List.of("-"));
    var question = new Prompt(prompt, List.of());
    Map<String, List<SpeedSweep.Level>> results = new LinkedHashMap<>();
    for (String model : models) {
      var answerer =
          new OpenAiAnswerer(
              http,
              URI.create(connection.url),
              connection.key(),
              model,
              new ChatSettings(0.0, maxTokens, 1234L),
              null,
              Duration.ofSeconds(connection.timeoutSeconds));
      List<SpeedSweep.Level> levels =
          SpeedSweep.run(
              () -> answerer.answer(item, question),
              maxConcurrency,
              requests,
              l ->
                  System.err.printf(
                      Locale.ROOT,
                      "%s  concurrency %d: %d calls, %d errors, %.1f tok/s%n",
                      model,
                      l.concurrency(),
                      l.requests(),
                      l.errors(),
                      l.aggregateTokensPerSecond()));
      results.put(model, levels);
    }
    print(results, System.out);
    return 0;
  }

  static void print(Map<String, List<SpeedSweep.Level>> results, PrintStream out) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(
        List.of(
            "MODEL",
            "CONC",
            "CALLS",
            "ERRORS",
            "TTFT p50/p90",
            "LATENCY p50/p90",
            "TOK/S PER CALL",
            "TOK/S TOTAL",
            "CALLS/S"));
    double best = 0;
    for (var e : results.entrySet()) {
      for (SpeedSweep.Level l : e.getValue()) {
        best = Math.max(best, l.aggregateTokensPerSecond());
        rows.add(
            List.of(
                e.getKey(),
                Integer.toString(l.concurrency()),
                Integer.toString(l.requests()),
                Integer.toString(l.errors()),
                pair(l.ttftSeconds().median(), l.ttftSeconds().p90()),
                pair(l.latencySeconds().median(), l.latencySeconds().p90()),
                number(l.outputTokensPerSecond().median()),
                number(l.aggregateTokensPerSecond()),
                String.format(Locale.ROOT, "%.2f", l.requestsPerSecond())));
      }
    }
    out.flush();
    Table.print(rows);
    out.println();
    out.println("aggregate output tokens/s by concurrency");
    for (var e : results.entrySet()) {
      for (SpeedSweep.Level l : e.getValue()) {
        int width = best <= 0 ? 0 : (int) Math.round(40 * l.aggregateTokensPerSecond() / best);
        out.printf(
            Locale.ROOT,
            "%-24s c=%-3d %s %s%n",
            e.getKey(),
            l.concurrency(),
            "#".repeat(width) + ".".repeat(40 - width),
            number(l.aggregateTokensPerSecond()));
      }
    }
  }

  private static String pair(double a, double b) {
    if (Double.isNaN(a)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2fs/%.2fs", a, b);
  }

  private static String number(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }
}

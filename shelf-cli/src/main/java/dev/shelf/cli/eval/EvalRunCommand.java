package dev.shelf.cli.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import dev.shelf.cli.StoreOptions;
import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.Answerers;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.DatasetSpec;
import dev.shelf.eval.exec.ModelPrice;
import dev.shelf.eval.exec.OpenAiAnswerer;
import dev.shelf.eval.exec.RunExecutor;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.OpenAiJudge;
import dev.shelf.eval.run.Response;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiRunStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf eval run}: asks every model every item through an OpenAI-compatible endpoint (a
 * running Shelf's {@code /v1} with a Shelf key, so its keys, limits and metering apply), saving
 * each finished item as it comes, with a live progress bar on stderr and the results table at the
 * end.
 */
@Command(
    name = "run",
    description = "Run a dataset against shelf models.",
    mixinStandardHelpOptions = true)
final class EvalRunCommand implements Callable<Integer> {
  @Mixin StoreOptions store = new StoreOptions();
  @Mixin Connection connection = new Connection();

  @Option(
      names = "--set",
      description =
          "A known set under --sets-dir: mmlu, cmmlu, gsm8k, xstest, flames, safetybench_zh "
              + "(layouts as in ../shared/data).")
  @Nullable String set;

  @Option(
      names = "--sets-dir",
      description = "Where --set looks (default: $SHELF_EVAL_SETS, else ./eval-sets).")
  @Nullable Path setsDir;

  @Option(names = "--file", description = "A .jsonl or .csv file, or a directory of them.")
  @Nullable Path file;

  @Option(
      names = "--task",
      description = "With --file: multiple-choice, math, free-form or refusal.")
  @Nullable String task;

  @Option(names = "--dev", description = "Dev split (file or directory) for few-shot exemplars.")
  @Nullable Path dev;

  @Option(
      names = "--template",
      description = "mmlu, cmmlu, gsm8k, free-form or safety (default: by set or task).")
  @Nullable String template;

  @Option(
      names = "--label",
      description = "Refusal sets: the label of rows without one (should-answer|should-refuse).")
  @Nullable String label;

  @Option(
      names = "--models",
      split = ",",
      required = true,
      description = "Shelf models to ask, comma-separated.")
  List<String> models = List.of();

  @Option(names = "--name", description = "The run's name (default: <set>-<date>-<time>).")
  @Nullable String name;

  @Option(names = "--limit", description = "Only the first N items.")
  @Nullable Integer limit;

  @Option(names = "--shots", description = "Few-shot exemplars per prompt (default: 0).")
  int shots;

  @Option(names = "--concurrency", description = "Calls in flight per model (default: 4).")
  int concurrency = 4;

  @Option(names = "--temperature", description = "Sampling temperature (default: 0).")
  double temperature;

  @Option(names = "--max-tokens", description = "Max tokens per answer (default: 512).")
  int maxTokens = 512;

  @Option(names = "--seed", description = "Sampling seed (default: 1234).")
  long seed = 1234;

  @Option(
      names = "--refusal-judge",
      description =
          "Refusal sets: the shelf model that tells whether each answer refused (default: the"
              + " keyword classifier).")
  @Nullable String refusalJudge;

  @Option(
      names = "--scoring",
      description =
          "generate (the model writes its answer) or loglikelihood (multiple choice: each"
              + " choice scored by its log-likelihood after the prompt; default: generate).")
  String scoring = ChatSettings.GENERATE;

  @Override
  public Integer call() throws Exception {
    DatasetSpec d = dataset();
    String runName =
        name != null
            ? name
            : d.name()
                + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    HttpClient http = connection.client();
    RunSpec spec =
        new RunSpec(
            runName,
            d,
            models,
            shots,
            new ChatSettings(temperature, maxTokens, seed, scoring),
            concurrency,
            limit,
            connection.url,
            prices(http, connection, models),
            refusalJudge);
    Task<?> loaded = Task.load(spec);
    var report = loaded.report();
    if (!report.ok()) {
      System.err.println(
          report.errors().size() + " bad row(s) left out of " + report.rowsRead() + ":");
      report.errors().stream().limit(20).forEach(e -> System.err.println("  " + e));
    }
    try (Database db = store.database(store.load())) {
      RunStore runs = new JdbiRunStore(db);
      if (runs.find(runName) != null) {
        throw new IllegalArgumentException(
            "a run named " + runName + " exists already; continue it with shelf eval resume");
      }
      runs.create(spec, loaded.dataset().size());
      return execute(runs, spec, loaded, http, connection);
    }
  }

  static int execute(
      RunStore runs, RunSpec spec, Task<?> task, HttpClient http, Connection connection) {
    URI base = URI.create(connection.url);
    String key = connection.key();
    Duration timeout = Duration.ofSeconds(connection.timeoutSeconds);
    String judgeModel = spec.refusalJudge();
    var executor =
        new RunExecutor(
            runs,
            model ->
                Answerers.forRun(
                    http, base, key, model, spec.settings(), spec.prices().get(model), timeout),
            judgeModel == null ? null : new OpenAiJudge(http, base, key, judgeModel, timeout));
    RunStatus status;
    AtomicInteger judgeFailed = new AtomicInteger();
    AtomicReference<@Nullable String> firstJudgeFailure = new AtomicReference<>();
    try (Progress progress = new Progress(System.err, spec.models())) {
      status =
          executor.execute(
              spec,
              task,
              new RunExecutor.Listener() {
                @Override
                public void started(String model, int items, int finished, int errors) {
                  progress.started(model, items, finished, errors);
                }

                @Override
                public void finished(String model, String itemId, Response response) {
                  progress.finished(model, itemId, response);
                }

                @Override
                public void judged(
                    String model,
                    String itemId,
                    @Nullable String verdict,
                    @Nullable String failure) {
                  if (failure != null) {
                    judgeFailed.incrementAndGet();
                    firstJudgeFailure.compareAndSet(null, failure);
                  }
                }
              });
    }
    ResultsTable.print(RunResults.of(spec, task, runs), System.out);
    if (judgeFailed.get() > 0) {
      System.err.println(
          judgeFailed.get()
              + " refusal judge call(s) failed (first: "
              + firstJudgeFailure.get()
              + "); those answers were told by the keyword classifier; shelf eval resume "
              + spec.name()
              + " asks the judge again");
    }
    if (status != RunStatus.FINISHED) {
      System.err.println("not finished; continue with: shelf eval resume " + spec.name());
      return 1;
    }
    return 0;
  }

  private DatasetSpec dataset() throws IOException {
    if ((set == null) == (file == null)) {
      throw new IllegalArgumentException("give either --set or --file");
    }
    SafetyLabel defaultLabel = null;
    if (label != null) {
      defaultLabel = SafetyLabel.parse(label);
      if (defaultLabel == null) {
        throw new IllegalArgumentException(
            "--label must be should-answer or should-refuse but was " + label);
      }
    }
    if (file != null) {
      if (task == null) {
        throw new IllegalArgumentException("--file needs --task");
      }
      TaskType type =
          switch (task.toLowerCase(Locale.ROOT)) {
            case "multiple-choice", "mc", "choice" -> TaskType.MULTIPLE_CHOICE;
            case "math" -> TaskType.MATH;
            case "free-form", "freeform" -> TaskType.FREE_FORM;
            case "refusal", "safety" -> TaskType.REFUSAL;
            default ->
                throw new IllegalArgumentException(
                    "--task must be multiple-choice, math, free-form or refusal but was " + task);
          };
      String base = file.getFileName() == null ? "data" : file.getFileName().toString();
      int dot = base.indexOf('.');
      return new DatasetSpec(
          dot > 0 ? base.substring(0, dot) : base,
          type,
          file.toAbsolutePath().toString(),
          dev == null ? null : dev.toAbsolutePath().toString(),
          template != null ? template : DatasetSpec.defaultTemplate(type),
          defaultLabel);
    }
    return known(set == null ? "" : set, setsDir(setsDir), dev, template);
  }

  /** Where known sets are looked for: the option, else $SHELF_EVAL_SETS, else ./eval-sets. */
  static Path setsDir(@Nullable Path option) {
    if (option != null) {
      return option;
    }
    String env = System.getenv("SHELF_EVAL_SETS");
    return Path.of(env != null ? env : "eval-sets");
  }

  /** A known set, laid out under {@code root} as in ../shared/data. */
  static DatasetSpec known(String s, Path root, @Nullable Path dev, @Nullable String template)
      throws IOException {
    Path dir = root.resolve(s);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("set " + s + " not found: no directory " + dir);
    }
    return switch (s) {
      case "mmlu", "cmmlu" ->
          new DatasetSpec(
              s,
              TaskType.MULTIPLE_CHOICE,
              abs(dir.resolve("test")),
              dev != null ? abs(dev) : abs(dir.resolve("dev")),
              template != null ? template : s,
              null);
      case "gsm8k" ->
          new DatasetSpec(
              s,
              TaskType.MATH,
              abs(only(dir, ".jsonl")),
              dev == null ? null : abs(dev),
              "gsm8k",
              null);
      case "xstest" ->
          new DatasetSpec(s, TaskType.REFUSAL, abs(only(dir, ".csv")), null, "safety", null);
      case "flames" ->
          // Adversarial prompts without labels: each one is to be declined (or defused).
          new DatasetSpec(
              s,
              TaskType.REFUSAL,
              abs(only(dir, ".jsonl")),
              null,
              "safety",
              SafetyLabel.SHOULD_REFUSE);
      case "safetybench_zh" ->
          new DatasetSpec(
              s, TaskType.MULTIPLE_CHOICE, abs(only(dir, ".jsonl")), null, "mmlu", null);
      default ->
          throw new IllegalArgumentException(
              "unknown set " + s + "; known: mmlu, cmmlu, gsm8k, xstest, flames, safetybench_zh");
    };
  }

  private static String abs(Path p) {
    return p.toAbsolutePath().normalize().toString();
  }

  private static Path only(Path dir, String ext) throws IOException {
    try (var files = Files.list(dir)) {
      List<Path> found =
          files.filter(p -> p.getFileName().toString().endsWith(ext)).sorted().toList();
      if (found.size() != 1) {
        throw new IllegalArgumentException(
            "expected one " + ext + " file in " + dir + " but found " + found.size());
      }
      return found.getFirst();
    }
  }

  /**
   * The models' prices from the endpoint's {@code /v1/models} ({@code pricing}, per million tokens,
   * as a Shelf lists them); empty when it lists none or cannot be read (costs are then unknown).
   */
  static Map<String, ModelPrice> prices(HttpClient http, Connection c, List<String> models) {
    Map<String, ModelPrice> out = new HashMap<>();
    try {
      var req =
          HttpRequest.newBuilder(OpenAiAnswerer.resolve(URI.create(c.url), "models"))
              .timeout(Duration.ofSeconds(10));
      String key = c.key();
      if (key != null) {
        req.header("authorization", "Bearer " + key);
      }
      HttpResponse<byte[]> res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (res.statusCode() != 200) {
        return out;
      }
      for (JsonNode m : Json.MAPPER.readTree(res.body()).path("data")) {
        JsonNode p = m.path("pricing");
        String id = m.path("id").asText("");
        if (models.contains(id) && p.isObject()) {
          out.put(
              id,
              new ModelPrice(
                  p.path("input").asDouble(),
                  p.path("output").asDouble(),
                  p.path("currency").asText("USD")));
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("could not read prices from " + c.url + "/models: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  /** The endpoint options shared by run and resume. */
  static final class Connection {
    @Option(
        names = "--url",
        description = "OpenAI-compatible base URL (default: http://127.0.0.1:8080/v1).")
    String url = "http://127.0.0.1:8080/v1";

    @Option(names = "--key", description = "API key (default: $SHELF_API_KEY).")
    @Nullable String key;

    @Option(names = "--timeout", description = "Seconds per call (default: 300).")
    int timeoutSeconds = 300;

    @Nullable String key() {
      return key != null ? key : System.getenv("SHELF_API_KEY");
    }

    HttpClient client() {
      return HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .version(HttpClient.Version.HTTP_1_1)
          .build();
    }
  }

  /** {@code shelf eval resume}: continues a run, asking only the items not finished yet. */
  @Command(
      name = "resume",
      description = "Continue a run after a crash or Ctrl-C; finished items are not asked again.",
      mixinStandardHelpOptions = true)
  static final class Resume implements Callable<Integer> {
    @Mixin StoreOptions store = new StoreOptions();

    @Option(
        names = "--url",
        description = "OpenAI-compatible base URL (default: the one the run started with).")
    @Nullable String url;

    @Option(names = "--key", description = "API key (default: $SHELF_API_KEY).")
    @Nullable String key;

    @Option(names = "--timeout", description = "Seconds per call (default: 300).")
    int timeoutSeconds = 300;

    @Parameters(index = "0", description = "The run's name.")
    String run = "";

    @Override
    public Integer call() {
      try (Database db = store.database(store.load())) {
        RunStore runs = new JdbiRunStore(db);
        var info = EvalCommand.find(runs, run);
        Connection c = new Connection();
        c.url = url != null ? url : info.spec().url();
        c.key = key;
        c.timeoutSeconds = timeoutSeconds;
        return execute(runs, info.spec(), Task.load(info.spec()), c.client(), c);
      }
    }
  }
}

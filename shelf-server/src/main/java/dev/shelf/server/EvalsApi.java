package dev.shelf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ApiException;
import dev.shelf.api.Json;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.eval.dataset.ImportReport;
import dev.shelf.eval.dataset.RowError;
import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.DatasetSpec;
import dev.shelf.eval.exec.DatasetStore;
import dev.shelf.eval.exec.DatasetStore.DatasetFile;
import dev.shelf.eval.exec.DatasetStore.StoredDataset;
import dev.shelf.eval.exec.EvalStores;
import dev.shelf.eval.exec.JudgeJobs;
import dev.shelf.eval.exec.JudgeJobs.JudgeJob;
import dev.shelf.eval.exec.ModelPrice;
import dev.shelf.eval.exec.RunOwners;
import dev.shelf.eval.exec.RunOwners.Owner;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.exec.Task;
import dev.shelf.eval.judge.JudgeResults;
import dev.shelf.eval.report.HtmlReport;
import dev.shelf.gateway.Accounts;
import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.tenancy.Principal;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The evaluation service under {@code /v1/evals}: datasets, runs, results, reports, the leaderboard
 * across runs, and the arena ({@link ArenaApi}). Every endpoint authenticates like {@code /v1}; a
 * caller sees only its team's datasets, runs and battles, and another team's answer 404 exactly as
 * missing ones do. Runs execute in the server ({@link EvalRunner}).
 *
 * <p>Datasets are uploaded as JSON ({@code name}, {@code task_type}, and either {@code content}
 * with {@code format} or {@code files}; see README) and kept in the database, so every node of a
 * cluster sees them; runs refer to them by name.
 */
final class EvalsApi implements AutoCloseable {
  private final ShelfServer server;
  private final ShelfRuntime runtime;
  private final RunStore runs;
  private final RunOwners owners;
  private final DatasetStore datasets;
  private final EvalRunner runner;
  private final EvalJudging judging;
  private final JudgeJobs judgeJobs;
  private final ArenaApi arena;
  private final Leaderboard leaderboard;
  private final long maxBody;

  private EvalsApi(
      ShelfServer server, ShelfRuntime runtime, Accounts accounts, EvalStores stores, Keys keys) {
    this.server = server;
    this.runtime = runtime;
    this.runs = stores.runs();
    this.owners = stores.owners();
    this.datasets = stores.datasets();
    this.maxBody = runtime.config().server().maxBodyBytes();
    this.runner =
        new EvalRunner(
            runs, owners, datasets, accounts.store(), keys, runtime::config, this::selfUrl);
    this.judgeJobs = stores.judgeJobs();
    this.judging = new EvalJudging(runs, judgeJobs, runner, keys, this::selfUrl);
    this.arena = new ArenaApi(server, runtime, stores.battles(), keys, this::selfUrl);
    this.leaderboard = new Leaderboard(runs, owners);
  }

  /**
   * The evaluation API over the accounts' database (shelf-store's database, the accounts'
   * resources, provides the {@link EvalStores}); null without one (no accounts, as in the
   * benchmarks' metering-off mode), and {@code /v1/evals} then answers 404 like any unknown URL.
   */
  static @Nullable EvalsApi of(
      ShelfServer server, ShelfRuntime runtime, @Nullable Accounts accounts, Keys keys) {
    if (accounts == null || !(accounts.resources() instanceof EvalStores stores)) {
      return null;
    }
    return new EvalsApi(server, runtime, accounts, stores, keys);
  }

  void routes(HttpRouting.Builder r) {
    r.post("/v1/evals/datasets", (q, s) -> run(q, s, this::createDataset))
        .get("/v1/evals/datasets", (q, s) -> run(q, s, this::listDatasets))
        .get("/v1/evals/datasets/{name}", (q, s) -> run(q, s, this::getDataset))
        .delete("/v1/evals/datasets/{name}", (q, s) -> run(q, s, this::deleteDataset))
        .post("/v1/evals/runs", (q, s) -> run(q, s, this::createRun))
        .get("/v1/evals/runs", (q, s) -> run(q, s, this::listRuns))
        .get("/v1/evals/runs/{id}", (q, s) -> run(q, s, this::getRun))
        .delete("/v1/evals/runs/{id}", (q, s) -> run(q, s, this::deleteRun))
        .post("/v1/evals/runs/{id}/cancel", (q, s) -> run(q, s, this::cancelRun))
        .get("/v1/evals/runs/{id}/results", (q, s) -> run(q, s, this::results))
        .get("/v1/evals/runs/{id}/report", (q, s) -> run(q, s, this::report))
        .post("/v1/evals/runs/{id}/judgements", (q, s) -> run(q, s, this::createJudgement))
        .get("/v1/evals/runs/{id}/judgements", (q, s) -> run(q, s, this::listJudgements))
        .get("/v1/evals/runs/{id}/judgements/{job}", (q, s) -> run(q, s, this::getJudgement))
        .post(
            "/v1/evals/runs/{id}/judgements/{job}/cancel",
            (q, s) -> run(q, s, this::cancelJudgement))
        .get("/v1/evals/leaderboard", (q, s) -> run(q, s, this::leaderboard));
    arena.routes(r);
  }

  /** Resumes unfinished runs; once the server listens. */
  void start() {
    runner.start();
    judging.start();
  }

  /**
   * Interrupts the runs executing here (they resume on the next start); before the server drains.
   */
  @Override
  public void close() {
    judging.close();
    runner.close(); // battles in flight finish within the drain like any request
  }

  /** This server's own {@code /v1} on loopback (or on its one bound address). */
  private URI selfUrl() {
    String host = runtime.config().server().host();
    if (server.open()
        || host.isBlank()
        || host.equals("0.0.0.0")
        || host.equals("::")
        || host.equals("localhost")) {
      host = "127.0.0.1";
    } else if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + server.port() + "/v1");
  }

  @FunctionalInterface
  interface Handler {
    void handle(ServerRequest req, ServerResponse res, Principal who);
  }

  void run(ServerRequest req, ServerResponse res, Handler h) {
    server.serve(
        req,
        res,
        "evals",
        Http::error,
        (ex, who) -> {
          try {
            h.handle(req, res, who);
          } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, String.valueOf(e.getMessage()));
          }
        });
  }

  // ---- datasets ----

  private void createDataset(ServerRequest req, ServerResponse res, Principal who) {
    JsonNode b = body(req);
    String name = text(b, "name", null);
    if (name == null) {
      throw ApiException.invalid("name", "`name` is required.");
    }
    TaskType task = taskType(text(b, "task_type", null));
    String template = textOr(b, "template", DatasetSpec.defaultTemplate(task));
    String label = text(b, "default_label", null);
    SafetyLabel defaultLabel = null;
    if (label != null) {
      defaultLabel = SafetyLabel.parse(label);
      if (defaultLabel == null) {
        throw ApiException.invalid(
            "default_label", "`default_label` must be should_answer or should_refuse.");
      }
    }
    List<DatasetFile> files = files(b, "files", name);
    List<DatasetFile> dev = b.has("dev_files") ? files(b, "dev_files", name + "_dev") : List.of();
    if (datasets.find(who.teamId(), name) != null) {
      throw conflict("dataset_exists", "A dataset named `" + name + "` exists already.");
    }
    var stored =
        new StoredDataset(
            who.teamId(),
            name,
            task,
            template,
            defaultLabel,
            files.stream().map(DatasetFile::name).toList(),
            dev.stream().map(DatasetFile::name).toList(),
            0,
            0,
            System.currentTimeMillis());
    // Imported as a run will import it: the template must fit, ids must be unique.
    Task<?> loaded = load(stored, files, dev);
    ImportReport report = loaded.report();
    if (report.imported() == 0) {
      throw new ApiException(
          422,
          "invalid_request_error",
          "dataset_empty",
          "content",
          "No row could be imported"
              + (report.errors().isEmpty()
                  ? " (the upload has no rows)."
                  : "; the first errors: "
                      + report.errors().stream().limit(5).map(RowError::toString).toList()),
          null);
    }
    stored =
        new StoredDataset(
            stored.teamId(),
            name,
            task,
            template,
            defaultLabel,
            stored.files(),
            stored.devFiles(),
            report.rowsRead(),
            report.imported(),
            stored.createdMs());
    if (!datasets.create(stored, files, dev)) {
      throw conflict("dataset_exists", "A dataset named `" + name + "` exists already.");
    }
    Http.json(res, 201, Json.bytes(EvalViews.dataset(stored, report)));
  }

  private Task<?> load(StoredDataset d, List<DatasetFile> files, List<DatasetFile> dev) {
    var spec =
        new RunSpec(
            "import",
            datasetSpec(d),
            List.of("none"),
            0,
            ChatSettings.DEFAULT,
            1,
            null,
            "",
            Map.of());
    try {
      return Task.load(
          spec,
          where -> (where.endsWith("#dev") ? dev : files).stream().map(EvalsApi::source).toList());
    } catch (IllegalArgumentException e) {
      throw new ApiException(
          422,
          "invalid_request_error",
          "invalid_dataset",
          null,
          String.valueOf(e.getMessage()),
          null);
    }
  }

  static DatasetSpec datasetSpec(StoredDataset d) {
    String path = EvalRunner.SCHEME + d.name();
    return new DatasetSpec(
        d.name(),
        d.task(),
        path,
        d.devFiles().isEmpty() ? null : path + "#dev",
        d.template(),
        d.defaultLabel());
  }

  /** An uploaded file as importer input; its subject is its name as for files on disk. */
  static DatasetImporter.Source source(DatasetFile f) {
    java.nio.file.Path p = java.nio.file.Path.of(f.name());
    return new DatasetImporter.Source(
        f.name(), DatasetImporter.subjectOf(p), DatasetImporter.Format.of(p), f.content());
  }

  private List<DatasetFile> files(JsonNode b, String field, String defaultName) {
    String format = text(b, "format", null);
    if (format != null && !format.equals("jsonl") && !format.equals("csv")) {
      throw ApiException.invalid("format", "`format` must be jsonl or csv but was " + format + ".");
    }
    List<DatasetFile> out = new ArrayList<>();
    JsonNode list = b.get(field);
    if (list == null && field.equals("files")) {
      String content = text(b, "content", null);
      if (content == null) {
        throw ApiException.invalid(
            "content", "Give the rows in `content` (with `format`) or `files`.");
      }
      if (format == null) {
        throw ApiException.invalid("format", "`format` (jsonl or csv) is required with `content`.");
      }
      out.add(new DatasetFile(defaultName + "." + format, content));
      return out;
    }
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw ApiException.invalid(field, "`" + field + "` must be a non-empty list of files.");
    }
    for (JsonNode f : list) {
      String name = text(f, "name", null);
      String content = text(f, "content", null);
      if (name == null || content == null) {
        throw ApiException.invalid(field, "Each of `" + field + "` needs `name` and `content`.");
      }
      if (name.contains("/") || name.contains("\\")) {
        throw ApiException.invalid(field, "A file name has no directories but was " + name + ".");
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (!lower.endsWith(".jsonl") && !lower.endsWith(".json") && !lower.endsWith(".csv")) {
        if (format == null) {
          throw ApiException.invalid(
              field, "File " + name + " needs a .jsonl or .csv name, or give `format`.");
        }
        name = name + "." + format;
      }
      out.add(new DatasetFile(name, content));
    }
    if (out.stream().map(DatasetFile::name).distinct().count() != out.size()) {
      throw ApiException.invalid(field, "Each file of `" + field + "` needs its own name.");
    }
    return out;
  }

  private static TaskType taskType(@Nullable String t) {
    if (t == null) {
      throw ApiException.invalid("task_type", "`task_type` is required.");
    }
    return switch (t.toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "multiple_choice" -> TaskType.MULTIPLE_CHOICE;
      case "math" -> TaskType.MATH;
      case "free_form" -> TaskType.FREE_FORM;
      case "refusal" -> TaskType.REFUSAL;
      default ->
          throw ApiException.invalid(
              "task_type",
              "`task_type` must be multiple_choice, math, free_form or refusal but was " + t + ".");
    };
  }

  private void listDatasets(ServerRequest req, ServerResponse res, Principal who) {
    ArrayNode data = Json.MAPPER.createArrayNode();
    for (StoredDataset d : datasets.list(who.teamId())) {
      data.add(EvalViews.dataset(d, null));
    }
    Http.json(res, 200, Json.bytes(EvalViews.list(data)));
  }

  private void getDataset(ServerRequest req, ServerResponse res, Principal who) {
    StoredDataset d = dataset(who, req.path().pathParameters().get("name"));
    ImportReport report =
        load(
                d,
                datasets.files(d.teamId(), d.name(), false),
                datasets.files(d.teamId(), d.name(), true))
            .report();
    Http.json(res, 200, Json.bytes(EvalViews.dataset(d, report)));
  }

  private StoredDataset dataset(Principal who, String name) {
    StoredDataset d = datasets.find(who.teamId(), name);
    if (d == null) {
      throw ApiException.notFound("dataset_not_found", "No dataset `" + name + "`.");
    }
    return d;
  }

  /**
   * Deletes a dataset. Results are scored from the dataset whenever they are read, so a dataset
   * that any of the team's runs (live or finished) uses is not deleted alone: 409 {@code
   * dataset_in_use} naming them, unless {@code ?cascade=true}, which deletes those runs first
   * (cancelling the live ones) and says which in {@code deleted_runs}.
   */
  private void deleteDataset(ServerRequest req, ServerResponse res, Principal who) {
    StoredDataset d = dataset(who, req.path().pathParameters().get("name"));
    boolean cascade =
        req.query().contains("cascade") && req.query().first("cascade").get().equals("true");
    String path = EvalRunner.SCHEME + d.name();
    List<String> using = new ArrayList<>();
    for (String run : owners.owners(who.teamId()).keySet()) {
      RunInfo info = runs.find(run);
      if (info != null && info.spec().dataset().path().equals(path)) {
        using.add(run);
      }
    }
    if (!using.isEmpty() && !cascade) {
      throw conflict(
          "dataset_in_use",
          "Dataset `"
              + d.name()
              + "` is used by "
              + using.size()
              + " run(s) ("
              + String.join(", ", using.stream().limit(10).toList())
              + (using.size() > 10 ? ", ..." : "")
              + "); delete them first, or delete with ?cascade=true.");
    }
    for (String run : using) {
      deleteRun(run);
    }
    datasets.delete(who.teamId(), d.name());
    ObjectNode o = Json.object();
    o.put("id", d.name());
    o.put("object", "eval.dataset");
    o.put("deleted", true);
    ArrayNode deleted = o.putArray("deleted_runs");
    using.forEach(deleted::add);
    Http.json(res, 200, Json.bytes(o));
  }

  // ---- runs ----

  /** Stops a run (and its judging jobs) wherever it executes, then deletes it whole. */
  private void deleteRun(String id) {
    RunInfo info = runs.find(id);
    if (info != null && info.status() == RunStatus.RUNNING) {
      runner.cancel(id);
    }
    judging.cancelRun(id);
    runs.delete(id);
  }

  private void deleteRun(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    deleteRun(v.info().spec().name());
    ObjectNode o = Json.object();
    o.put("id", v.info().spec().name());
    o.put("object", "eval.run");
    o.put("deleted", true);
    Http.json(res, 200, Json.bytes(o));
  }

  private void createRun(ServerRequest req, ServerResponse res, Principal who) {
    JsonNode b = body(req);
    String name = text(b, "dataset", null);
    if (name == null) {
      throw ApiException.invalid("dataset", "`dataset` (an uploaded dataset's name) is required.");
    }
    StoredDataset d = dataset(who, name);
    JsonNode ms = b.get("models");
    if (ms == null || !ms.isArray() || ms.isEmpty()) {
      throw ApiException.invalid("models", "`models` must be a non-empty list of model names.");
    }
    List<String> models = new ArrayList<>();
    Map<String, ModelPrice> prices = new LinkedHashMap<>();
    for (JsonNode m : ms) {
      String model = m.asText("");
      var entry = ModelsView.entry(runtime.shelf(), model);
      if (entry == null || !who.mayUse(model)) {
        throw ApiException.modelNotFound(model);
      }
      models.add(model);
      Price p = entry.price();
      if (p != null) {
        prices.put(model, new ModelPrice(p.input(), p.output(), p.currency()));
      }
    }
    String refusalJudge = text(b, "refusal_judge", null);
    if (refusalJudge != null) {
      if (d.task() != TaskType.REFUSAL) {
        throw ApiException.invalid(
            "refusal_judge",
            "`refusal_judge` applies to refusal datasets only, but `"
                + d.name()
                + "` is "
                + EvalViews.lower(d.task())
                + ".");
      }
      if (ModelsView.entry(runtime.shelf(), refusalJudge) == null || !who.mayUse(refusalJudge)) {
        throw ApiException.modelNotFound(refusalJudge);
      }
    }
    String id = "evalrun_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    var spec =
        new RunSpec(
            id,
            datasetSpec(d),
            models,
            integer(b, "shots", 0),
            new ChatSettings(
                b.path("temperature").asDouble(0),
                integer(b, "max_tokens", 512),
                b.has("seed") && !b.get("seed").isNull() ? b.get("seed").asLong() : 1234L,
                scoring(b)),
            integer(b, "concurrency", 4),
            b.hasNonNull("limit") ? integer(b, "limit", 0) : null,
            selfUrl().toString(), // informative: a resumed run calls wherever this server listens
            prices,
            refusalJudge);
    Task<?> task = Task.load(spec, runner.sources(who.teamId())); // bad shots or dev fail here
    runner.submit(spec, task.dataset().size(), who);
    Http.json(res, 201, Json.bytes(runView(visibleRun(who, id))));
  }

  /** {@code scoring}: generate (the default) or loglikelihood (multiple-choice datasets only). */
  private static String scoring(JsonNode b) {
    JsonNode v = b.get("scoring");
    if (v == null || v.isNull()) {
      return ChatSettings.GENERATE;
    }
    if (!v.isTextual()
        || !(v.asText().equals(ChatSettings.GENERATE)
            || v.asText().equals(ChatSettings.LOGLIKELIHOOD))) {
      throw ApiException.invalid(
          "scoring",
          "`scoring` must be \""
              + ChatSettings.GENERATE
              + "\" or \""
              + ChatSettings.LOGLIKELIHOOD
              + "\".");
    }
    return v.asText();
  }

  private static int integer(JsonNode b, String field, int dflt) {
    JsonNode v = b.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber()) {
      throw ApiException.invalid(field, "`" + field + "` must be an integer.");
    }
    return v.asInt();
  }

  /** A run and its owner, when the caller's team owns it; else 404. */
  record Visible(RunInfo info, Owner owner) {}

  private Visible visibleRun(Principal who, String id) {
    Owner o = owners.owner(id);
    RunInfo info = o == null || !o.teamId().equals(who.teamId()) ? null : runs.find(id);
    if (o == null || info == null) {
      throw ApiException.notFound("run_not_found", "No evaluation run `" + id + "`.");
    }
    return new Visible(info, o);
  }

  private ObjectNode runView(Visible v) {
    return EvalViews.run(v.info(), v.owner(), runner.progress(v.info().spec().name()));
  }

  private void listRuns(ServerRequest req, ServerResponse res, Principal who) {
    Map<String, Owner> mine = owners.owners(who.teamId());
    ArrayNode data = Json.MAPPER.createArrayNode();
    for (RunInfo info : runs.list()) {
      Owner o = mine.get(info.spec().name());
      if (o != null) {
        data.add(EvalViews.run(info, o, runner.progress(info.spec().name())));
      }
    }
    Http.json(res, 200, Json.bytes(EvalViews.list(data)));
  }

  private void getRun(ServerRequest req, ServerResponse res, Principal who) {
    Http.json(res, 200, Json.bytes(runView(visibleRun(who, id(req)))));
  }

  private void cancelRun(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    if (v.info().status() == RunStatus.FINISHED) {
      throw conflict("run_finished", "Run `" + id(req) + "` is finished already.");
    }
    runner.cancel(id(req));
    Http.json(res, 200, Json.bytes(runView(visibleRun(who, id(req)))));
  }

  RunResults results(Visible v) {
    RunSpec spec = v.info().spec();
    return RunResults.of(spec, Task.load(spec, runner.sources(v.owner().teamId())), runs);
  }

  private void results(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    Http.json(res, 200, Json.bytes(EvalViews.results(v.info(), results(v))));
  }

  private void report(ServerRequest req, ServerResponse res, Principal who) {
    String html = HtmlReport.render(results(visibleRun(who, id(req))));
    res.status(200);
    res.header("content-type", "text/html; charset=utf-8");
    res.send(html.getBytes(StandardCharsets.UTF_8));
  }

  // ---- judging ----

  private void createJudgement(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    JsonNode b = body(req);
    String judge = text(b, "judge", null);
    if (judge == null) {
      throw ApiException.invalid("judge", "`judge` (the model that judges) is required.");
    }
    if (ModelsView.entry(runtime.shelf(), judge) == null || !who.mayUse(judge)) {
      throw ApiException.modelNotFound(judge);
    }
    JudgeKind kind =
        switch (textOr(b, "mode", "single")) {
          case "single" -> JudgeKind.SINGLE;
          case "pairwise" -> JudgeKind.PAIRWISE;
          default -> throw ApiException.invalid("mode", "`mode` must be single or pairwise.");
        };
    if (b.hasNonNull("against")) {
      throw ApiException.invalid(
          "against",
          "Pairwise judging compares the models of one run; start a run with every model to"
              + " compare.");
    }
    if (kind == JudgeKind.PAIRWISE && v.info().spec().models().size() < 2) {
      throw ApiException.invalid("mode", "Pairwise judging needs a run of two models or more.");
    }
    int concurrency = integer(b, "concurrency", 4);
    if (concurrency < 1 || concurrency > 64) {
      throw ApiException.invalid("concurrency", "`concurrency` must be 1 to 64.");
    }
    if (v.info().status() != RunStatus.FINISHED) {
      throw conflict("run_not_finished", "Run `" + id(req) + "` is not finished; judge it after.");
    }
    for (JudgeJob j : judgeJobs.list(id(req))) {
      if (j.status() == RunStatus.RUNNING && j.judge().equals(judge) && j.kind() == kind) {
        throw conflict(
            "judging_running",
            "Judge `" + judge + "` is judging run `" + id(req) + "` already: " + j.id() + ".");
      }
    }
    JudgeJob job = judging.submit(id(req), who, judge, kind, concurrency);
    Http.json(res, 201, Json.bytes(judgementView(v, job.id())));
  }

  private ObjectNode judgementView(Visible v, String jobId) {
    JudgeJob job = judgeJobs.find(jobId);
    if (job == null || !job.run().equals(v.info().spec().name())) {
      throw ApiException.notFound("judgement_not_found", "No judging job `" + jobId + "`.");
    }
    List<String> models = v.info().spec().models();
    var verdicts = runs.judgements(job.run(), job.judge(), job.kind());
    return EvalViews.judgement(
        job,
        judging.progress(job.id()),
        job.kind() == JudgeKind.SINGLE
            ? new JudgeResults(
                job.judge(), job.kind(), JudgeResults.single(models, verdicts), List.of())
            : new JudgeResults(
                job.judge(), job.kind(), Map.of(), JudgeResults.pairwise(models, verdicts)));
  }

  private void listJudgements(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    ArrayNode data = Json.MAPPER.createArrayNode();
    for (JudgeJob j : judgeJobs.list(id(req))) {
      data.add(judgementView(v, j.id()));
    }
    Http.json(res, 200, Json.bytes(EvalViews.list(data)));
  }

  private void getJudgement(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    Http.json(res, 200, Json.bytes(judgementView(v, req.path().pathParameters().get("job"))));
  }

  private void cancelJudgement(ServerRequest req, ServerResponse res, Principal who) {
    Visible v = visibleRun(who, id(req));
    String job = req.path().pathParameters().get("job");
    JudgeJob j = judgeJobs.find(job);
    if (j == null || !j.run().equals(id(req))) {
      throw ApiException.notFound("judgement_not_found", "No judging job `" + job + "`.");
    }
    if (j.status() == RunStatus.FINISHED) {
      throw conflict("judgement_finished", "Judging job `" + job + "` is finished already.");
    }
    judging.cancel(job);
    Http.json(res, 200, Json.bytes(judgementView(v, job)));
  }

  private void leaderboard(ServerRequest req, ServerResponse res, Principal who) {
    String dataset = req.query().contains("dataset") ? req.query().first("dataset").get() : null;
    Http.json(res, 200, Json.bytes(leaderboard.view(who.teamId(), dataset, this::results)));
  }

  // ---- helpers ----

  private static String id(ServerRequest req) {
    return req.path().pathParameters().get("id");
  }

  static ApiException conflict(String code, String message) {
    return new ApiException(409, "invalid_request_error", code, null, message, null);
  }

  JsonNode body(ServerRequest req) {
    JsonNode b = Json.parse(Http.body(req, maxBody));
    if (!b.isObject()) {
      throw ApiException.invalid(null, "The body must be a JSON object.");
    }
    return b;
  }

  static String textOr(JsonNode b, String field, String dflt) {
    String v = text(b, field, null);
    return v == null ? dflt : v;
  }

  static @Nullable String text(JsonNode b, String field, @Nullable String dflt) {
    JsonNode v = b.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isTextual()) {
      throw ApiException.invalid(field, "`" + field + "` must be a string.");
    }
    return v.asText();
  }
}

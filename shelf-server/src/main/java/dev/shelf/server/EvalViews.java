package dev.shelf.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import dev.shelf.eval.dataset.ImportReport;
import dev.shelf.eval.dataset.RowError;
import dev.shelf.eval.exec.DatasetStore.StoredDataset;
import dev.shelf.eval.exec.JudgeJobs.JudgeJob;
import dev.shelf.eval.exec.ModelPrice;
import dev.shelf.eval.exec.RunOwners.Owner;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore;
import dev.shelf.eval.exec.RunStore.RunInfo;
import dev.shelf.eval.judge.JudgeResults;
import dev.shelf.eval.judge.Pairwise;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.metrics.Summary;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The JSON of {@code /v1/evals}: datasets, runs and results. Times are epoch seconds. */
final class EvalViews {
  /** At most this many row errors are listed (their count is always exact). */
  static final int MAX_ERRORS = 1_000;

  private EvalViews() {}

  static ObjectNode list(ArrayNode data) {
    ObjectNode o = Json.object();
    o.put("object", "list");
    o.set("data", data);
    return o;
  }

  static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /** A dataset; with the import report's row errors (file and line) when given. */
  static ObjectNode dataset(StoredDataset d, @Nullable ImportReport report) {
    ObjectNode o = Json.object();
    o.put("object", "eval.dataset");
    o.put("name", d.name());
    o.put("task_type", lower(d.task()));
    o.put("template", d.template());
    o.put("default_label", d.defaultLabel() == null ? null : lower(d.defaultLabel()));
    ArrayNode files = o.putArray("files");
    d.files().forEach(files::add);
    ArrayNode dev = o.putArray("dev_files");
    d.devFiles().forEach(dev::add);
    o.put("rows_read", report == null ? d.rowsRead() : report.rowsRead());
    o.put("imported", report == null ? d.imported() : report.imported());
    o.put("created_at", d.createdMs() / 1000);
    if (report != null) {
      o.put("error_count", report.errors().size());
      ArrayNode errors = o.putArray("errors");
      for (RowError e : report.errors().stream().limit(MAX_ERRORS).toList()) {
        errors
            .addObject()
            .put("file", e.source())
            .put("line", e.line())
            .put("message", e.message());
      }
    }
    return o;
  }

  /** {@code running}, {@code cancelling}, {@code cancelled}, {@code failed} or {@code finished}. */
  static String status(RunInfo info, Owner owner) {
    return switch (info.status()) {
      case FINISHED -> "finished";
      case RUNNING -> owner.cancelRequested() ? "cancelling" : "running";
      case CANCELLED -> owner.error() != null && !owner.cancelRequested() ? "failed" : "cancelled";
    };
  }

  /**
   * A run: its settings, status and progress ({@code progress}: per model, finished and errors).
   */
  static ObjectNode run(RunInfo info, Owner owner, @Nullable Map<String, int[]> progress) {
    RunSpec spec = info.spec();
    ObjectNode o = Json.object();
    o.put("id", spec.name());
    o.put("object", "eval.run");
    o.put("status", status(info, owner));
    o.put("dataset", spec.dataset().name());
    o.put("task_type", lower(spec.dataset().task()));
    ArrayNode models = o.putArray("models");
    spec.models().forEach(models::add);
    o.put("items", info.items());
    o.put("shots", spec.shots());
    o.put("limit", spec.limit());
    o.put("concurrency", spec.concurrency());
    ObjectNode settings = o.putObject("settings");
    settings.put("temperature", spec.settings().temperature());
    settings.put("max_tokens", spec.settings().maxTokens());
    settings.put("seed", spec.settings().seed());
    o.put("refusal_judge", spec.refusalJudge());
    ObjectNode p = o.putObject("progress");
    long total = (long) info.items() * spec.models().size();
    p.put("finished", info.status() == RunStatus.FINISHED ? total : info.finished());
    p.put("total", total);
    if (progress != null) {
      ObjectNode per = p.putObject("models");
      progress.forEach((m, n) -> per.putObject(m).put("finished", n[0]).put("errors", n[1]));
    }
    o.put("created_at", info.createdMs() / 1000);
    o.put("error", owner.error());
    return o;
  }

  static ObjectNode proportion(Proportion p) {
    ObjectNode o = Json.object();
    o.put("value", p.value());
    o.put("low", p.low());
    o.put("high", p.high());
    o.put("successes", p.successes());
    o.put("total", p.total());
    return o;
  }

  static ObjectNode summary(Summary s) {
    ObjectNode o = Json.object();
    o.put("count", s.count());
    o.put("mean", s.mean());
    o.put("median", s.median());
    o.put("p90", s.p90());
    return o;
  }

  /** Per model: accuracy with its 95% Wilson interval, per subject, safety, tokens, cost, speed. */
  static ObjectNode results(RunInfo info, RunResults results) {
    RunSpec spec = info.spec();
    ObjectNode o = Json.object();
    o.put("object", "eval.run.results");
    o.put("run", spec.name());
    o.put("dataset", spec.dataset().name());
    o.put("task_type", lower(spec.dataset().task()));
    o.put("items", results.items());
    ArrayNode models = o.putArray("models");
    results
        .models()
        .forEach(
            (model, r) -> {
              ObjectNode m = model(model, r.report(), r.price());
              m.put("finished", r.finished());
              Report second = r.second();
              if (second != null) {
                m.set("accuracy_" + secondName(spec), proportion(second.accuracy()));
              }
              RunResults.RefusalJudged judged = r.refusals();
              if (judged != null) {
                m.putObject("refusal_judge")
                    .put("model", judged.judge())
                    .put("judged", judged.judged())
                    .put("judge_errors", judged.errors())
                    .put("unjudged", judged.unjudged());
              }
              ObjectNode subjects = m.putObject("by_subject");
              r.report().bySubject().forEach((s, p) -> subjects.set(s, proportion(p)));
              models.add(m);
            });
    ArrayNode judges = o.putArray("judges");
    results.judges().forEach(j -> judges.add(judgeResults(j)));
    return o;
  }

  /** A number, or null for NaN (JSON has no NaN). */
  private static void put(ObjectNode o, String field, double v) {
    if (Double.isNaN(v)) {
      o.putNull(field);
    } else {
      o.put(field, v);
    }
  }

  /**
   * One judge's results: {@code mode} single with per model {@code judged}, {@code mean}, {@code
   * ci_low}, {@code ci_high} (95%, normal approximation; null below two scores) and {@code
   * judge_errors}; or pairwise with per pair wins, losses, ties (inconsistent included),
   * inconsistent, judge errors and the win rate with its Wilson interval.
   */
  static ObjectNode judgeResults(JudgeResults r) {
    ObjectNode o = Json.object();
    o.put("judge", r.judge());
    o.put("mode", lower(r.kind()));
    if (r.kind() == RunStore.JudgeKind.SINGLE) {
      ArrayNode models = o.putArray("models");
      r.scores()
          .forEach(
              (model, s) -> {
                ObjectNode m = models.addObject();
                m.put("model", model);
                m.put("judged", s.n());
                put(m, "mean", s.mean());
                put(m, "ci_low", s.low());
                put(m, "ci_high", s.high());
                m.put("judge_errors", s.errors());
              });
    } else {
      ArrayNode pairs = o.putArray("pairs");
      for (Pairwise.Tally t : r.pairs()) {
        ObjectNode p = pairs.addObject();
        p.put("model_a", t.x());
        p.put("model_b", t.y());
        p.put("wins", t.wins());
        p.put("losses", t.losses());
        p.put("ties", t.ties());
        p.put("inconsistent", t.inconsistent());
        p.put("judge_errors", t.errors());
        Proportion w = t.winRate();
        p.set("win_rate", w.total() == 0 ? null : proportion(w));
      }
    }
    return o;
  }

  /** A judging job: its judge, mode, status, progress and the results of its verdicts so far. */
  static ObjectNode judgement(JudgeJob job, int @Nullable [] progress, JudgeResults results) {
    ObjectNode o = Json.object();
    o.put("id", job.id());
    o.put("object", "eval.judgement");
    o.put("run", job.run());
    o.put("judge", job.judge());
    o.put("mode", lower(job.kind()));
    o.put("concurrency", job.concurrency());
    o.put(
        "status",
        switch (job.status()) {
          case FINISHED -> "finished";
          case RUNNING -> job.cancelRequested() ? "cancelling" : "running";
          case CANCELLED -> job.error() != null && !job.cancelRequested() ? "failed" : "cancelled";
        });
    ObjectNode p = o.putObject("progress");
    if (progress != null) {
      p.put("done", progress[0]).put("total", progress[1]).put("failed", progress[2]);
    } else {
      p.put("done", job.asked()).put("total", job.asked()).put("failed", job.failed());
    }
    o.set("results", judgeResults(results));
    o.put("created_at", job.createdMs() / 1000);
    o.put("error", job.error());
    return o;
  }

  private static String secondName(RunSpec spec) {
    return switch (spec.dataset().task()) {
      case MATH -> "flexible";
      case FREE_FORM -> "exact";
      default -> "second";
    };
  }

  /** One model's headline numbers (also a leaderboard row's). */
  static ObjectNode model(String model, Report r, @Nullable ModelPrice price) {
    ObjectNode m = Json.object();
    m.put("model", model);
    m.set("accuracy", proportion(r.accuracy()));
    m.put("errors", r.errors());
    m.put("unextracted", r.unextracted());
    Proportion refusal = r.refusalRate();
    Proportion over = r.overRefusal();
    m.set("refusal_rate", refusal == null ? null : proportion(refusal));
    m.set("over_refusal", over == null ? null : proportion(over));
    m.put("input_tokens", r.inputTokens());
    m.put("output_tokens", r.outputTokens());
    m.put("cost", price == null ? null : r.cost().toPlainString());
    m.put("currency", price == null ? null : price.currency());
    m.set("latency_seconds", summary(r.latencySeconds()));
    m.set("ttft_seconds", summary(r.ttftSeconds()));
    m.set("output_tokens_per_second", summary(r.outputTokensPerSecond()));
    return m;
  }
}

package dev.shelf.eval.run;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.shelf.eval.dataset.ChoiceItem;
import dev.shelf.eval.dataset.Dataset;
import dev.shelf.eval.dataset.DatasetImporter;
import dev.shelf.eval.dataset.DatasetImporter.Source;
import dev.shelf.eval.dataset.MathItem;
import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.metrics.Proportion;
import dev.shelf.eval.metrics.Report;
import dev.shelf.eval.prompt.PromptBuilder;
import dev.shelf.eval.prompt.Templates;
import dev.shelf.eval.score.Scorers;
import dev.shelf.eval.testing.SharedData;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Scripted answerers over the shared sets, so every metric has an exact expected value. The
 * expected values are computed here from the files themselves, not from the importer.
 */
class ScriptedRunsTest {
  private static Dataset<MathItem> gsm8k() {
    return DatasetImporter.math(
            "gsm8k", Source.of(SharedData.file("gsm8k", "test_first500.shared.jsonl")))
        .orThrow();
  }

  @Test
  void firstHalfOfGsm8kRightScoresExactlyHalf() {
    Dataset<MathItem> data = gsm8k();
    int n = data.size();
    int right = n / 2; // the first floor(n/2) rows
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < n; i++) {
      position.put(data.items().get(i).id(), i);
    }
    Answerer<MathItem> answerer =
        (item, prompt) -> {
          BigDecimal gold = item.answer();
          BigDecimal said =
              requireNonNull(position.get(item.id())) < right ? gold : gold.add(BigDecimal.ONE);
          // Reasoning with other numbers first, the final answer last, with a thousands separator.
          return Response.of(
              "Step 1: 2 + 3 = 5.\nSo the total is $"
                  + String.format("%,d", said.toBigInteger())
                  + ".\n#### "
                  + String.format("%,d", said.toBigInteger()),
              null);
        };
    var strict =
        Evaluation.run(
            data, PromptBuilder.zeroShot(Templates.gsm8k()), answerer, Scorers.gsm8kStrict());
    Report report = Report.of(strict);
    assertThat(n).isEqualTo(400);
    assertThat(report.accuracy().successes()).isEqualTo(right);
    assertThat(report.accuracy().value()).isEqualTo((double) right / n).isEqualTo(0.5);
    assertThat(report.accuracy()).isEqualTo(Proportion.of(right, n));
    assertThat(report.unextracted()).isZero();
    var flexible = Report.of(Evaluation.rescore(strict, Scorers.gsm8kFlexible()));
    assertThat(flexible.accuracy().successes()).isEqualTo(right);
  }

  @Test
  void alwaysBScoresTheShareOfBKeysOnMmluAndCmmlu() throws IOException {
    for (String set : List.of("mmlu", "cmmlu")) {
      Path dir = SharedData.dir(set).resolve("test");
      var data =
          DatasetImporter.directory(set, TaskType.MULTIPLE_CHOICE, ChoiceItem.class, dir).orThrow();
      long bKeys = 0;
      long rows = 0;
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.sorted().toList()) {
          List<String> keys = lastColumn(Files.readString(f, StandardCharsets.UTF_8));
          if (set.equals("cmmlu")) {
            keys = keys.subList(1, keys.size()); // the header's "Answer"
          }
          rows += keys.size();
          bKeys += keys.stream().filter("B"::equals).count();
        }
      }
      var results =
          Evaluation.run(
              data,
              PromptBuilder.zeroShot(set.equals("mmlu") ? Templates.mmlu() : Templates.cmmlu()),
              (item, prompt) -> Response.of("B", null),
              Scorers.multipleChoice());
      Report report = Report.of(results);
      assertThat(report.items()).isEqualTo(rows);
      assertThat(report.accuracy()).isEqualTo(Proportion.of(bKeys, rows));
      assertThat(bKeys).isPositive().isLessThan(rows);
      long subjectSum = report.bySubject().values().stream().mapToLong(Proportion::successes).sum();
      assertThat(subjectSum).isEqualTo(bKeys);
    }
  }

  /** The last field of every record, by a separate minimal RFC 4180 scan. */
  private static List<String> lastColumn(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        field.setLength(0);
      } else if (c == '\n') {
        out.add(field.toString().strip());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    if (!field.toString().isBlank()) {
      out.add(field.toString().strip());
    }
    return out;
  }

  @Test
  void refusingEverythingOnXstest() {
    var data =
        DatasetImporter.safety(
                "xstest", Source.of(SharedData.file("xstest", "xstest_prompts.shared.csv")), null)
            .orThrow();
    long safe = data.items().stream().filter(i -> i.label() == SafetyLabel.SHOULD_ANSWER).count();
    var refuser =
        Report.of(
            Evaluation.run(
                data,
                PromptBuilder.zeroShot(Templates.safety()),
                (item, prompt) -> Response.of("I'm sorry, but I can't help with that.", null),
                Scorers.refusal()));
    assertThat(refuser.refusalRate())
        .isEqualTo(Proportion.of(data.size() - safe, data.size() - safe));
    assertThat(refuser.overRefusal()).isEqualTo(Proportion.of(safe, safe));
    assertThat(requireNonNull(refuser.refusalRate()).value()).isEqualTo(1.0);
    assertThat(requireNonNull(refuser.overRefusal()).value()).isEqualTo(1.0);
    assertThat(refuser.accuracy()).isEqualTo(Proportion.of(data.size() - safe, data.size()));

    var complier =
        Report.of(
            Evaluation.run(
                data,
                PromptBuilder.zeroShot(Templates.safety()),
                (item, prompt) -> Response.of("Sure, here is how: " + item.question(), null),
                Scorers.refusal()));
    assertThat(requireNonNull(complier.refusalRate()).value()).isEqualTo(0.0);
    assertThat(requireNonNull(complier.overRefusal()).value()).isEqualTo(0.0);
  }

  @Test
  void chineseRefusalsOnFlames() {
    var data =
        DatasetImporter.safety(
                "flames",
                Source.of(SharedData.file("flames", "Flames_1k_Chinese.shared.jsonl")),
                SafetyLabel.SHOULD_REFUSE)
            .orThrow();
    var report =
        Report.of(
            Evaluation.run(
                data,
                PromptBuilder.zeroShot(Templates.safety()),
                (item, prompt) -> Response.of("抱歉，我无法提供这方面的帮助。", null),
                Scorers.refusal()));
    assertThat(report.refusalRate()).isEqualTo(Proportion.of(800, 800));
    assertThat(report.overRefusal()).isNull();
  }

  @Test
  void speedTokensAndCostFromScriptedMeasurements() {
    Dataset<MathItem> data = gsm8k();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < data.size(); i++) {
      position.put(data.items().get(i).id(), i);
    }
    // Item i: latency (i+1) * 10 ms, TTFT (i+1) ms, 100 + i input tokens, 9 * (i+1) output tokens
    // (so 1,000 tokens/s after the first token, exactly), cost 0.001; every 100th call fails.
    Answerer<MathItem> answerer =
        (item, prompt) -> {
          int i = requireNonNull(position.get(item.id()));
          var m =
              new Measurement(
                  Duration.ofMillis((i + 1) * 10L),
                  Duration.ofMillis(i + 1),
                  100 + i,
                  9L * (i + 1),
                  new BigDecimal("0.001"));
          return i % 100 == 99 ? Response.failed("upstream 502", m) : Response.of("#### 0", m);
        };
    Report report =
        Report.of(
            Evaluation.run(
                data, PromptBuilder.zeroShot(Templates.gsm8k()), answerer, Scorers.gsm8kStrict()));
    int n = data.size();
    List<Double> latencies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (i % 100 != 99) {
        latencies.add((i + 1) * 0.010);
      }
    }
    double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double h = (sorted.length - 1) * 0.9;
    double p90 = sorted[(int) h] + (h - (int) h) * (sorted[(int) h + 1] - sorted[(int) h]);
    assertThat(report.errors()).isEqualTo(4);
    assertThat(report.latencySeconds().count()).isEqualTo(n - 4);
    assertThat(report.latencySeconds().median())
        .isCloseTo(
            sorted[sorted.length / 2 - 1] / 2 + sorted[sorted.length / 2] / 2, within(1e-12));
    assertThat(report.latencySeconds().p90()).isCloseTo(p90, within(1e-12));
    assertThat(report.ttftSeconds().median())
        .isCloseTo(report.latencySeconds().median() / 10, within(1e-12));
    assertThat(report.outputTokensPerSecond().median()).isCloseTo(1000, within(1e-9));
    assertThat(report.outputTokensPerSecond().p90()).isCloseTo(1000, within(1e-9));
    long input = 0;
    long output = 0;
    for (int i = 0; i < n; i++) {
      input += 100 + i;
      output += 9L * (i + 1);
    }
    assertThat(report.inputTokens()).isEqualTo(input);
    assertThat(report.outputTokens()).isEqualTo(output);
    assertThat(report.cost()).isEqualByComparingTo(new BigDecimal("0.400"));
  }
}

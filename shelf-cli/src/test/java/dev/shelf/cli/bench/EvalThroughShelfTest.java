package dev.shelf.cli.bench;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.cli.Main;
import dev.shelf.eval.exec.RunResults;
import dev.shelf.eval.exec.Task;
import dev.shelf.store.Database;
import dev.shelf.store.JdbiRunStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shelf eval run} against a real Shelf server (the bench rig: Shelf with a master key in
 * front of a stub upstream): the calls go through the gateway, so a wrong key fails every item with
 * the gateway's 401, and the right one gets usage and the shelf's price from {@code /v1/models}.
 */
class EvalThroughShelfTest {
  @TempDir Path dir;

  private static String run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    var out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
      return Main.run(args) + "\n" + out.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private RunResults.ModelResults results(String run) {
    try (Database db = Database.sqlite(dir.resolve("shelf.db"))) {
      var store = new JdbiRunStore(db);
      var spec = requireNonNull(store.find(run)).spec();
      return requireNonNull(
          RunResults.of(spec, Task.load(spec), store).models().get(BenchRig.MODEL));
    }
  }

  @Test
  void evalRunsThroughTheGatewayWithItsKeysAndPrices() throws Exception {
    Path gsm8k =
        Path.of(System.getProperty("shelf.root", ".."))
            .resolve("../shared/data/gsm8k/test_first500.shared.jsonl")
            .normalize();
    try (BenchRig rig = BenchRig.start("sk-master-eval-0123456789")) {
      String url = "http://127.0.0.1:" + rig.shelfPort() + "/v1";
      String ok =
          run(
              "eval",
              "run",
              "--file",
              gsm8k.toString(),
              "--task",
              "math",
              "--limit",
              "5",
              "--models",
              BenchRig.MODEL,
              "--url",
              url,
              "--key",
              "sk-master-eval-0123456789",
              "--data-dir",
              dir.toString(),
              "--name",
              "through");
      assertThat(ok).startsWith("0\n");
      var r = results("through");
      assertThat(r.finished()).isEqualTo(5);
      assertThat(r.report().errors()).isZero();
      assertThat(r.report().inputTokens()).isPositive();
      assertThat(r.report().outputTokens()).isPositive();
      assertThat(r.price()).isNotNull();
      assertThat(requireNonNull(r.price()).input()).isEqualTo(0.27);
      assertThat(r.report().cost().signum()).isPositive();
      assertThat(r.report().ttftSeconds().count()).isEqualTo(5);

      String denied =
          run(
              "eval",
              "run",
              "--file",
              gsm8k.toString(),
              "--task",
              "math",
              "--limit",
              "3",
              "--models",
              BenchRig.MODEL,
              "--url",
              url,
              "--key",
              "sk-wrong",
              "--data-dir",
              dir.toString(),
              "--name",
              "denied");
      assertThat(denied).startsWith("0\n");
      var d = results("denied");
      assertThat(d.report().errors()).isEqualTo(3);
      assertThat(d.results().getFirst().response().error()).startsWith("HTTP 401: ");
    }
  }
}

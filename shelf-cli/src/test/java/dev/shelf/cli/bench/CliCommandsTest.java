package dev.shelf.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI commands as a user runs them, against a real Shelf in front of the bench stub. */
class CliCommandsTest {
  @TempDir Path dir;

  /** What a command printed and returned. */
  record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = Main.run(args);
      return new Run(
          exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void chatStreamsTheAnswerOfAModelOnARunningShelf() throws Exception {
    try (BenchRig rig = BenchRig.start(null)) {
      String url = "http://127.0.0.1:" + rig.shelfPort() + "/v1";

      Run ok = run("chat", BenchRig.MODEL, "hello there", "--url", url);
      assertThat(ok.exit()).isZero();
      assertThat(ok.out().strip()).isEqualTo(StubUpstream.content());
      assertThat(ok.err()).contains(" in, ").contains(" out]");

      Run unknown = run("chat", "no-such-model", "hi", "--url", url);
      assertThat(unknown.exit()).isEqualTo(1);
      assertThat(unknown.err()).contains("error 404").contains("no-such-model");
    }
  }

  @Test
  void chatSaysSoWhenNoServerRuns() {
    Run r = run("chat", "m", "hi", "--url", "http://127.0.0.1:9/v1");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("no Shelf server at http://127.0.0.1:9/v1");
  }

  @Test
  void modelsPrintsTheShelfWithWhatTheModelMapKnows() throws Exception {
    Path config = dir.resolve("shelf.yaml");
    Files.writeString(
        config,
        """
        providers:
          ds: {preset: deepseek, api_key: sk-test-0123456789}
        models:
          - {id: deepseek-chat, provider: ds}
          - {id: house-model, provider: ds, upstream: secret-sauce, context: 4096}
        """);
    Run r = run("models", "--config", config.toString());
    assertThat(r.exit()).isZero();
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).startsWith("MODEL").contains("DEPLOYMENT").contains("CONTEXT");
    assertThat(lines[1])
        .startsWith("deepseek-chat")
        .contains("ds/deepseek-chat")
        .contains("deepseek");
    assertThat(lines[2]).startsWith("house-model").contains("ds/secret-sauce").contains("4096");
  }

  @Test
  void modelsAllFiltersTheBuiltInMap() {
    Run r = run("models", "--all", "--country", "CN", "--open-weights");
    assertThat(r.exit()).isZero();
    String[] lines = r.out().strip().split("\n");
    assertThat(lines.length).isGreaterThan(10);
    for (int i = 1; i < lines.length - 1; i++) {
      assertThat(lines[i].split("\\s+")[2]).as(lines[i]).isEqualTo("CN");
      assertThat(lines[i].split("\\s+")[3]).as(lines[i]).isEqualTo("yes");
    }
    assertThat(lines[lines.length - 1]).contains("models; list prices per million tokens as of");
  }

  @Test
  void serveRefusesABadConfigNamingFileLineAndKey() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(
        config,
        """
        server:
          port: 8080
        models:
          - {id: m, provider: nowhere}
        """);
    Run r = run("serve", "--config", config.toString(), "--port", "0");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("bad.yaml:4: models[0].provider: unknown provider 'nowhere'");
  }
}

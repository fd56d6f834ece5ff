package dev.shelf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.ShelfRuntime;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.SecretBox;
import dev.shelf.guard.label.AigcLabel;
import dev.shelf.guard.label.LabelSigner;
import dev.shelf.server.ShelfServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code shelf labels verify} against a running server that shares the secret key. */
class LabelsCommandTest {
  static final String TEXT = "The answer is 42.\n你好";
  static ShelfRuntime runtime;
  static ShelfServer server;
  static AigcLabel label;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    byte[] secret = new byte[32];
    Arrays.fill(secret, (byte) 5);
    label =
        new LabelSigner(new SecretBox(secret).deriveKey("shelf-aigc-label-v1"))
            .sign(AigcLabel.generated("Shelf", "req-cli"), TEXT);
    runtime =
        ShelfRuntime.of(
            new ConfigLoader(Map.of()).parse("t.yaml", "server: {port: 0, access_log: false}"));
    server = ShelfServer.start(runtime, null, null, new SecretBox(secret));
  }

  @AfterAll
  static void stop() {
    server.stop();
    runtime.close();
  }

  String url() {
    return "http://127.0.0.1:" + server.port() + "/v1";
  }

  @Test
  void theProducedTextIsValid() throws Exception {
    Path text = Files.writeString(dir.resolve("answer.txt"), TEXT);
    CliRun r =
        CliRun.run(
            "labels", "verify", "--text", text.toString(), "--label", label.json(), "--url", url());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("valid (ProduceID req-cli)");
  }

  @Test
  void aChangedTextIsNot() throws Exception {
    Path text = Files.writeString(dir.resolve("answer.txt"), TEXT + "\n"); // an editor's newline
    Path header = Files.writeString(dir.resolve("label.json"), label.headerValue());
    CliRun r =
        CliRun.run(
            "labels",
            "verify",
            "--text",
            text.toString(),
            "--label-file",
            header.toString(),
            "--url",
            url());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).startsWith("tampered");
  }

  @Test
  void theTextMayComeFromStandardInput() {
    InputStream old = System.in;
    try {
      System.setIn(new ByteArrayInputStream(TEXT.getBytes(StandardCharsets.UTF_8)));
      CliRun r =
          CliRun.run(
              "labels", "verify", "--text", "-", "--label", label.headerValue(), "--url", url());
      assertThat(r.exit()).as(r.err()).isZero();
    } finally {
      System.setIn(old);
    }
  }

  @Test
  void errorsExitWithTwo() throws Exception {
    Path text = Files.writeString(dir.resolve("answer.txt"), TEXT);
    CliRun notJson =
        CliRun.run("labels", "verify", "--text", text.toString(), "--label", "{", "--url", url());
    assertThat(notJson.exit()).isEqualTo(2);
    assertThat(notJson.err()).contains("--label is not JSON");

    CliRun notALabel =
        CliRun.run("labels", "verify", "--text", text.toString(), "--label", "[1]", "--url", url());
    assertThat(notALabel.exit()).isEqualTo(2);
    assertThat(notALabel.err()).contains("400", "label must be the AIGC label");

    CliRun neither = CliRun.run("labels", "verify", "--text", text.toString(), "--url", url());
    assertThat(neither.exit()).isEqualTo(2);
    assertThat(neither.err()).contains("--label or --label-file");

    CliRun noFile =
        CliRun.run(
            "labels", "verify", "--text", dir.resolve("missing").toString(), "--label", "{}");
    assertThat(noFile.exit()).isEqualTo(2);
  }
}

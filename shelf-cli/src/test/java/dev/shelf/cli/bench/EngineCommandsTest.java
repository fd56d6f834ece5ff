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

/** {@code shelf synth} makes a file that {@code shelf bench engine} measures. */
class EngineCommandsTest {
  @TempDir Path dir;

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
  void synthThenBenchEngine() throws Exception {
    Path file = dir.resolve("tiny.gguf");
    Run synth =
        run("synth", "--shape", "tiny", "--type", "Q4_K_M", "--threads", "2", file.toString());
    assertThat(synth.exit()).as(synth.err()).isZero();
    assertThat(synth.out()).contains("tiny (llama) Q4_K_M");
    assertThat(synth.err()).contains("100%");
    assertThat(Files.size(file)).isGreaterThan(1_000_000);

    Run bench =
        run(
            "bench",
            "engine",
            "--threads",
            "2",
            "-p",
            "8",
            "-n",
            "4",
            "--streams",
            "2",
            "--stream-steps",
            "2",
            "-r",
            "1",
            "--no-progress",
            file.toString());
    assertThat(bench.exit()).as(bench.err()).isZero();
    assertThat(bench.out())
        .contains("prefill pp8, tok/s")
        .contains("decode tg4, tok/s")
        .contains("2 streams, aggregate decode tok/s")
        .contains("no llama.cpp figure");
  }

  @Test
  void synthWritesQwenShapesThatBenchRuns() throws Exception {
    for (String shape : java.util.List.of("tiny-qwen2", "tiny-qwen3")) {
      Path file = dir.resolve(shape + ".gguf");
      Run synth =
          run("synth", "--shape", shape, "--threads", "2", "--no-progress", file.toString());
      assertThat(synth.exit()).as(synth.err()).isZero();
      assertThat(synth.out()).contains(shape + " (" + shape.substring(5) + ") Q8_0");
      Run bench =
          run(
              "bench",
              "engine",
              "--threads",
              "2",
              "-p",
              "4",
              "-n",
              "2",
              "--streams",
              "0",
              "-r",
              "1",
              "--no-progress",
              file.toString());
      assertThat(bench.exit()).as(bench.err()).isZero();
      assertThat(bench.out()).contains("decode tg2, tok/s");
    }
  }

  @Test
  void synthListsItsShapes() {
    Run help = run("synth", "--help");
    for (var shape : dev.shelf.engine.model.SyntheticModel.shapes()) {
      assertThat(help.out()).contains(shape.name());
    }
    Run r = run("synth", "--shape", "gpt5", dir.resolve("x.gguf").toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err())
        .contains("unknown shape 'gpt5'; known: llama32-1b, qwen25-05b, qwen3-06b, tiny");
  }

  @Test
  void synthRefusesAnUnknownType() {
    Run r = run("synth", "--shape", "tiny", "--type", "Q3_K", dir.resolve("x.gguf").toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("unknown --type 'Q3_K'");
  }

  @Test
  void benchKnowsTheShapesOfBenchmarksMd() {
    assertThat(EngineBench.reference("llama32-1b", "Q8_0")).isNotNull();
    assertThat(
            java.util.Objects.requireNonNull(EngineBench.reference("llama32-1b", "Q8_0")).decode())
        .isEqualTo(22);
    assertThat(EngineBench.reference("tiny", "Q8_0")).isNull();
    assertThat(EngineBench.median(new double[] {3, 1, 2})).isEqualTo(2);
    assertThat(EngineBench.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
  }
}

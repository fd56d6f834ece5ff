package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.model.SyntheticModel;
import dev.shelf.engine.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that run out of heap, in a JVM of its own ({@link LocalHeapProbe}: an {@link
 * OutOfMemoryError} here would hit whatever else this JVM runs). A load that does is a 400 {@code
 * model_memory_heap} saying to raise the heap, not the error itself, and gives the model's place
 * among the loaded ones back, so that once there is heap again the same model loads and answers; an
 * answer that does (the model loaded, the heap then filled by others) is a {@code
 * model_memory_heap} too, retryable elsewhere, and the model stays loaded.
 */
class LocalHeapTest {
  @TempDir static Path dir;

  @Test
  void aLoadOrAnAnswerThatRunsOutOfHeapIsRefusedAsSuchAndTheNextOneIsServed() throws Exception {
    Path file = dir.resolve("tiny-Q8_0.gguf");
    SyntheticModel.write(
        file, SyntheticModel.shape("tiny"), "Q8_0", 3, Parallel.shared(), (d, t) -> {});
    Path warmUp = dir.resolve("warm-up.gguf");
    Files.copy(file, warmUp);
    String output = probe(file, warmUp);
    assertThat(output)
        .contains("first=model_memory_heap second=ok loaded=true third=model_memory_heap");
    assertThat(output)
        .contains("the JVM's heap ran out while loading model file " + file)
        .contains("the JVM's heap ran out while answering with " + file)
        .contains("raise the heap (SHELF_HEAP, or -Xmx)");
  }

  private static String probe(Path file, Path warmUp) throws IOException, InterruptedException {
    Path log = dir.resolve("probe.log");
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx48m",
                "-XX:+UseSerialGC",
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                LocalHeapProbe.class.getName(),
                file.toString(),
                warmUp.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean ended = process.waitFor(120, TimeUnit.SECONDS);
    if (!ended) {
      process.destroyForcibly().waitFor();
    }
    String output = Files.readString(log);
    assertThat(ended).as("the probe ended within 2 minutes: %s", output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }
}

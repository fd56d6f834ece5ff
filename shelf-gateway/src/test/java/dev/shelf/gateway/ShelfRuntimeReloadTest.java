package dev.shelf.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShelfRuntimeReloadTest {
  private static final String BASE =
      """
      providers:
        a: {type: openai, base_url: "http://127.0.0.1:9/v1"}
      models:
        - {id: one, provider: a}
      """;

  @TempDir Path dir;

  private static void write(Path file, String text, int secondsLater) throws Exception {
    Files.writeString(file, text);
    // Make the change visible to the mtime watcher even on coarse file systems.
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
  }

  private static void awaitTrue(java.util.function.BooleanSupplier cond) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 5 s");
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aChangedFileIsPickedUpAndUnchangedProvidersAreKept() throws Exception {
    Path file = dir.resolve("shelf.yaml");
    write(file, BASE, 0);
    try (var rt = ShelfRuntime.start(file, Map.of(), UnaryOperator.identity())) {
      Shelf before = rt.shelf();
      assertThat(before.names()).containsExactly("one");

      write(file, BASE + "  - {id: two, provider: a}\n", 5);
      awaitTrue(() -> rt.shelf().names().contains("two"));

      Shelf after = rt.shelf();
      assertThat(after.names()).containsExactly("one", "two");
      // The provider's settings did not change, so the same instance (and its pool) serves on.
      assertThat(after.providers().get("a")).isSameAs(before.providers().get("a"));
      // The old snapshot is untouched: requests that started on it finish on it.
      assertThat(before.names()).containsExactly("one");
      assertThat(rt.lastError()).isNull();
    }
  }

  @Test
  void anInvalidChangeIsReportedWithItsLineAndTheRunningShelfIsKept() throws Exception {
    Path file = dir.resolve("shelf.yaml");
    write(file, BASE, 0);
    try (var rt = ShelfRuntime.start(file, Map.of(), UnaryOperator.identity())) {
      write(file, BASE + "  - {id: three, provider: nobody}\n", 5);
      awaitTrue(() -> rt.lastError() != null);
      assertThat(rt.lastError())
          .contains("shelf.yaml:5:")
          .contains("models[1].provider")
          .contains("unknown provider 'nobody'");
      assertThat(rt.shelf().names()).containsExactly("one");

      write(file, BASE + "  - {id: three, provider: a}\n", 10);
      awaitTrue(() -> rt.shelf().names().contains("three"));
      assertThat(rt.lastError()).isNull();
    }
  }

  @Test
  void aChangedProviderIsReplaced() throws Exception {
    Path file = dir.resolve("shelf.yaml");
    write(file, BASE, 0);
    try (var rt = ShelfRuntime.start(file, Map.of(), UnaryOperator.identity())) {
      var old = rt.shelf().providers().get("a");
      assertThat(rt.reload()).isNull();
      assertThat(rt.shelf().providers().get("a")).isSameAs(old);

      write(file, BASE.replace("127.0.0.1:9", "127.0.0.1:10"), 5);
      assertThat(rt.reload()).isNull();
      assertThat(rt.shelf().providers().get("a")).isNotSameAs(old);
    }
  }
}

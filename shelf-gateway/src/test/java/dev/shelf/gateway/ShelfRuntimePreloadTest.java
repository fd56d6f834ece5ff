package dev.shelf.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ChunkSink;
import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models marked {@code preload} are got ready by their provider when the shelf is built, one after
 * another, while the shelf serves; readiness sees what is still running and what failed.
 */
class ShelfRuntimePreloadTest {
  /**
   * Preloads recorded in order, and given-up ones with a "-" before them; each preload waits for
   * {@link #gate}; upstream "broken" fails.
   */
  static final List<String> preloaded = new CopyOnWriteArrayList<>();

  static volatile CountDownLatch gate = new CountDownLatch(0);

  /** A provider type {@code recording} that only records preloads. */
  static final class Recording implements ProviderFactory {
    @Override
    public String type() {
      return "recording";
    }

    @Override
    public Provider create(ProviderSpec spec) {
      return new Provider() {
        @Override
        public String name() {
          return spec.name();
        }

        @Override
        public void preload(String model) {
          try {
            gate.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          preloaded.add(spec.name() + "/" + model);
          if (model.equals("broken")) {
            throw new ProviderException(
                ProviderException.Kind.NOT_FOUND, "local model file not found: broken");
          }
        }

        @Override
        public void unpreload(String model) {
          preloaded.add("-" + spec.name() + "/" + model);
        }

        @Override
        public void chat(ChatRequest request, Call call, ChunkSink<ChatChunk> sink) {
          throw new UnsupportedOperationException();
        }

        @Override
        public void completion(
            CompletionRequest request, Call call, ChunkSink<CompletionChunk> sink) {
          throw new UnsupportedOperationException();
        }

        @Override
        public EmbeddingResponse embed(EmbeddingRequest request, Call call) {
          throw new UnsupportedOperationException();
        }
      };
    }
  }

  private static final String BASE =
      """
      providers:
        p: {type: recording}
      models:
        - {id: a, provider: p, preload: true}
        - {id: b, provider: p}
        - {id: c, provider: p, upstream: broken, preload: true}
      """;

  @TempDir Path dir;

  @Test
  void markedModelsArePreloadedInOrderAndReadinessWaitsForThem() throws Exception {
    preloaded.clear();
    gate = new CountDownLatch(1);
    Path file = dir.resolve("shelf.yaml");
    write(file, BASE, 0);
    try (var rt = start(file)) {
      assertThat(rt.shelf().names()).containsExactly("a", "b", "c");
      assertThat(rt.preloading()).containsExactly("p/a", "p/broken");
      assertThat(rt.preloadFailures()).isEmpty();
      gate.countDown();
      await(() -> rt.preloading().isEmpty());
      assertThat(preloaded).containsExactly("p/a", "p/broken");
      assertThat(rt.preloadFailures())
          .containsExactly(Map.entry("p/broken", "local model file not found: broken"));

      // A reload that keeps the provider preloads only what is new to it, and forgets the
      // failure of a model no longer marked, giving up its preload before the new ones run (they
      // may need its room).
      write(
          file,
          BASE.replace("upstream: broken, preload: true", "upstream: broken")
              + "  - {id: d, provider: p, preload: true}\n",
          5);
      await(() -> preloaded.size() == 4);
      assertThat(preloaded).containsExactly("p/a", "p/broken", "-p/broken", "p/d");
      await(() -> rt.preloading().isEmpty());
      assertThat(rt.preloadFailures()).isEmpty();
    }
  }

  @Test
  void aPreloadDroppedBeforeItsTurnDoesNotRun() throws Exception {
    preloaded.clear();
    gate = new CountDownLatch(1);
    Path file = dir.resolve("shelf.yaml");
    write(file, BASE, 0);
    try (var rt = start(file)) {
      assertThat(rt.preloading()).containsExactly("p/a", "p/broken");
      // "a" waits at the gate, "broken" behind it; a reload drops "broken"
      write(file, BASE.replace("upstream: broken, preload: true", "upstream: broken"), 5);
      await(() -> rt.preloading().equals(java.util.List.of("p/a")));
      gate.countDown();
      await(() -> rt.preloading().isEmpty());
      Thread.sleep(100);
      assertThat(preloaded).as("neither preloaded nor given up").containsExactly("p/a");
      assertThat(rt.preloadFailures()).isEmpty();
    }
  }

  @Test
  void aModelIsNotPreloadedUnlessMarked() throws Exception {
    preloaded.clear();
    gate = new CountDownLatch(0);
    Path file = dir.resolve("shelf.yaml");
    write(file, BASE.replace(", preload: true", ""), 0);
    try (var rt = start(file)) {
      assertThat(rt.preloading()).isEmpty();
      Thread.sleep(200);
      assertThat(preloaded).isEmpty();
    }
  }

  private static ShelfRuntime start(Path file) {
    var loader = new ConfigLoader(Map.of());
    loader.factories().put("recording", new Recording());
    return ShelfRuntime.start(loader, file, UnaryOperator.identity(), null);
  }

  private static void write(Path file, String text, int secondsLater) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
  }

  private static void await(BooleanSupplier cond) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(20);
    }
  }
}

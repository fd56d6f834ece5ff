package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.model.LlamaModel;
import dev.shelf.engine.model.SyntheticModel;
import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import dev.shelf.providers.spi.ProviderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models share the machine's memory: one that does not fit beside the loaded ones unloads those
 * that serve no request, least recently used first, and is refused for now while they answer.
 */
class LocalResidentTest {
  @TempDir static Path dir;
  static Path stories;
  static Path tiny;
  static Path tinier;

  @BeforeAll
  static void files() throws IOException {
    stories = LocalProviderTest.dir().resolve(LocalProviderTest.FILE);
    tiny = dir.resolve("tiny-Q8_0.gguf");
    SyntheticModel.write(
        tiny, SyntheticModel.shape("tiny"), "Q8_0", 3, Parallel.shared(), (d, t) -> {});
    tinier = dir.resolve("tiny-Q4_0.gguf");
    SyntheticModel.write(
        tinier, SyntheticModel.shape("tiny"), "Q4_0", 4, Parallel.shared(), (d, t) -> {});
  }

  /** The memory a load of {@code file} takes: the mapped file. */
  private static long bytes(Path file) throws IOException {
    return Files.size(file);
  }

  /** The heap a load of {@code file} takes: the scales its kernels decode. */
  private static long decoded(Path file) throws IOException {
    try (GgufFile f = GgufFile.open(file)) {
      return LlamaModel.decodedBytes(f);
    }
  }

  private static LocalProvider provider(long physical) {
    return new LocalProvider(
        "local", dir, 1, new Memory(new KvBudget(1L << 30), Duration.ofSeconds(5), physical, 0));
  }

  /**
   * A provider whose models' scales may take {@code scalesHeap} bytes of heap, memory unchecked.
   */
  private static LocalProvider heapProvider(long scalesHeap) {
    return new LocalProvider(
        "local",
        dir,
        1,
        new Memory(
            new KvBudget(1L << 30),
            Duration.ofSeconds(5),
            0,
            () -> scalesHeap,
            0,
            new Resident(),
            null));
  }

  private static void chat(LocalProvider p, Path file) {
    chat(p, file, c -> {});
  }

  private static void chat(
      LocalProvider p, Path file, dev.shelf.providers.spi.ChunkSink<ChatChunk> sink) {
    p.chat(
        LocalProviderTest.chat(
            file.toString(),
            List.of(ChatMessage.of("user", "Tell me a story.")),
            4,
            0.0,
            null,
            null,
            JsonNodeFactory.instance.objectNode()),
        Call.unbounded("t"),
        sink);
  }

  /** A chat on a file that stops at its first chunk until {@link #close}: its model in use. */
  private static final class Answering implements AutoCloseable {
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch finish = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    Answering(LocalProvider p, Path file) throws InterruptedException {
      thread =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      chat(
                          p,
                          file,
                          c -> {
                            started.countDown();
                            try {
                              finish.await();
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                          });
                    } catch (Throwable t) {
                      failure.set(t);
                      started.countDown();
                    }
                  });
      assertThat(started.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(failure.get()).isNull();
    }

    /** Lets the chat finish; fails if it failed. */
    @Override
    public void close() throws InterruptedException {
      finish.countDown();
      thread.join();
      assertThat(failure.get()).isNull();
    }
  }

  @Test
  void aModelThatDoesNotFitBesideAnIdleOneUnloadsIt() throws IOException {
    long a = bytes(stories);
    long b = bytes(tiny);
    long scales = decoded(tiny);
    try (LocalProvider p = provider(a + b - 1)) {
      chat(p, stories);
      assertThat(p.loaded(stories.toString())).isNotNull();
      chat(p, tiny);
      assertThat(p.loaded(stories.toString())).as("unloaded for the tiny model").isNull();
      assertThat(p.loaded(tiny.toString())).isNotNull();
      assertThat(p.memory().resident().taken()).isEqualTo(b);
      assertThat(p.resident())
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.model())
                    .as("relative to the provider's dir")
                    .isEqualTo("tiny-Q8_0.gguf");
                assertThat(m.bytes()).as("the file and its scales").isEqualTo(b + scales);
                assertThat(m.requests()).isZero();
              });
      chat(p, stories); // loads again, in place of the tiny one
      assertThat(p.loaded(tiny.toString())).isNull();
      assertThat(p.memory().resident().taken()).isEqualTo(a);
    }
    try (LocalProvider roomy = provider(a + b)) {
      chat(roomy, stories);
      chat(roomy, tiny);
      assertThat(roomy.loaded(stories.toString())).as("both fit").isNotNull();
      assertThat(roomy.memory().resident().taken()).isEqualTo(a + b);
    }
  }

  @Test
  void aPreloadDoesNotUnloadAnEarlierPreloadButARequestMay() throws IOException {
    long a = bytes(stories);
    long b = bytes(tiny);
    try (LocalProvider p = provider(a + b - 1)) {
      p.preload(stories.toString());
      assertThatThrownBy(() -> p.preload(tiny.toString()))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
                assertThat(e.code()).isEqualTo("model_memory_preloaded");
              })
          .hasMessageContaining("tiny-Q8_0.gguf needs")
          .hasMessageContaining("preloaded: " + stories.getFileName());
      assertThat(p.loaded(stories.toString())).as("still preloaded").isNotNull();
      assertThat(p.loaded(tiny.toString())).isNull();

      chat(p, tiny); // a request makes room as usual
      assertThat(p.loaded(stories.toString())).isNull();
      assertThat(p.loaded(tiny.toString())).isNotNull();
    }
    try (LocalProvider p = provider(a + b - 1)) {
      chat(p, stories); // loaded by a request, not preloaded: a preload may unload it
      p.preload(tiny.toString());
      assertThat(p.loaded(stories.toString())).isNull();
      assertThat(p.loaded(tiny.toString())).isNotNull();
    }
    try (LocalProvider p = provider(a + b - 1)) {
      p.preload(stories.toString());
      p.unpreload(stories.toString()); // a reload dropped its preload: it may make room now
      p.preload(tiny.toString());
      assertThat(p.loaded(stories.toString())).isNull();
      assertThat(p.loaded(tiny.toString())).isNotNull();
      p.unpreload("never-loaded.gguf"); // nothing to give up
    }
    try (LocalProvider p = provider(a + b - 1)) {
      // two entries preload the same file by two names; dropping one keeps the other's
      String alias = stories + "/../" + LocalProviderTest.FILE;
      p.preload(stories.toString());
      p.preload(alias);
      p.unpreload(stories.toString());
      assertThatThrownBy(() -> p.preload(tiny.toString()))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> assertThat(e.code()).isEqualTo("model_memory_preloaded"));
      p.unpreload(alias);
      p.preload(tiny.toString());
      assertThat(p.loaded(stories.toString())).isNull();
    }
  }

  @Test
  void theScalesOfTheLoadedModelsShareTheHeapLeftForThem() throws Exception {
    long a = decoded(tiny);
    long b = decoded(tinier);
    assertThat(a).as("Q8_0 decodes its scales").isPositive();
    assertThat(b).as("Q4_0 decodes its scales").isPositive();
    assertThat(decoded(stories)).as("F32: no scales").isZero();
    try (LocalProvider p = heapProvider(a + b - 1)) {
      chat(p, stories); // the least recently used, but unloading it frees no heap
      chat(p, tiny);
      chat(p, tinier);
      assertThat(p.loaded(tiny.toString())).as("unloaded for the other's scales").isNull();
      assertThat(p.loaded(tinier.toString())).isNotNull();
      assertThat(p.loaded(stories.toString())).as("kept: it has no scales").isNotNull();
      assertThat(p.memory().resident().decodedTaken()).isEqualTo(b);
      try (Answering answering = new Answering(p, tinier)) {
        assertThatThrownBy(() -> chat(p, tiny))
            .isInstanceOfSatisfying(
                ProviderException.class,
                e -> {
                  assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
                  assertThat(e.code()).isEqualTo("model_memory_busy");
                })
            .hasMessageContaining("tiny-Q8_0.gguf needs")
            .hasMessageContaining("of heap for its scales")
            .hasMessageContaining("tiny-Q4_0.gguf (");
      }
    }
    try (LocalProvider p = heapProvider(a - 1)) {
      assertThatThrownBy(() -> chat(p, tiny))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
                assertThat(e.code()).isEqualTo("model_too_large");
              })
          .hasMessageContaining("of scales at load, which its kernels keep in the JVM's heap")
          .hasMessageContaining("raise the heap (SHELF_HEAP, or -Xmx)");
      assertThat(p.memory().resident().decodedTaken()).isZero();
    }
  }

  @Test
  void aProvidersOwnKvBudgetLeavesLessHeapForTheScalesOfEveryProvider() throws Exception {
    long heap = Runtime.getRuntime().maxMemory();
    assertThat(Memory.promisedKv()).isEqualTo(Memory.PROCESS_KV.capacity());
    var factory = new LocalProviderFactory();
    try (LocalProvider plain = new LocalProvider("plain", dir, 1)) {
      try (var own = (LocalProvider) factory.create(spec(Map.of("kv_cache", heap + "")))) {
        // the shared budget and this one promise more than the heap: nothing is left for scales
        assertThat(Memory.promisedKv()).isEqualTo(Memory.PROCESS_KV.capacity() + heap);
        assertThat(plain.memory().scalesHeap()).isOne();
        assertThat(own.memory().scalesHeap()).isOne();
        assertThatThrownBy(() -> chat(plain, tiny))
            .isInstanceOfSatisfying(
                ProviderException.class, e -> assertThat(e.code()).isEqualTo("model_too_large"))
            .hasMessageContaining("beside the local providers' KV cache budgets (")
            .hasMessageContaining("lower the provider's options.kv_cache");
        chat(plain, stories); // F32: no scales, nothing to refuse
      }
      // closed, its budget no longer counts: the same model loads
      assertThat(Memory.promisedKv()).isEqualTo(Memory.PROCESS_KV.capacity());
      assertThat(plain.memory().scalesHeap()).isEqualTo(Memory.scalesHeap(heap, heap / 2));
      chat(plain, tiny);
      assertThat(plain.loaded(tiny.toString())).isNotNull();
    }
  }

  private static ProviderSpec spec(Map<String, Object> options) {
    return new ProviderSpec(
        "local", "local", null, null, null, Map.of(), Duration.ofSeconds(1), options);
  }

  @Test
  void theLeastRecentlyUsedIdleModelGoesFirst() throws IOException {
    Path copy = dir.resolve("tiny-copy.gguf");
    Files.copy(tiny, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long a = bytes(stories);
    long b = bytes(tiny);
    try (LocalProvider p = provider(2 * b + a - 1)) {
      chat(p, tiny);
      chat(p, copy);
      chat(p, tiny); // the copy is now the least recently used
      chat(p, stories);
      assertThat(p.loaded(copy.toString())).isNull();
      assertThat(p.loaded(tiny.toString())).isNotNull();
    }
  }

  @Test
  void aModelThatDoesNotFitBesideOneAnsweringIsRefusedForNowThenLoads() throws Exception {
    long a = bytes(stories);
    long b = bytes(tiny);
    try (LocalProvider p = provider(a + b - 1)) {
      Answering first = new Answering(p, stories);
      assertThat(p.resident())
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.model()).as("outside the dir: absolute").isEqualTo(stories.toString());
                assertThat(m.requests()).isEqualTo(1);
                assertThat(m.idle()).isZero();
              });
      assertThatThrownBy(() -> chat(p, tiny))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
                assertThat(e.code()).isEqualTo("model_memory_busy");
                assertThat(e.retryAfterMillis()).isEqualTo(1000L);
                assertThat(e.getMessage())
                    .contains("model file tiny-Q8_0.gguf needs")
                    .contains("stories260K.gguf (")
                    .contains("answering");
              });
      assertThat(p.loaded(stories.toString())).isNotNull();
      first.close();
      chat(p, tiny);
      assertThat(p.loaded(stories.toString())).isNull();
    }
  }

  @Test
  void aModelIdleForItsKeepAliveIsUnloadedButNotWhileItAnswers() throws Exception {
    Memory memory =
        new Memory(new KvBudget(1L << 30), Duration.ofSeconds(5), 0, 0)
            .withKeepAlive(Duration.ofMillis(300));
    try (LocalProvider p = new LocalProvider("local", dir, 1, memory)) {
      Answering first = new Answering(p, stories);
      Thread.sleep(1000); // over three keep-alives, answering all along
      assertThat(p.loaded(stories.toString())).isNotNull();
      first.close();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (p.loaded(stories.toString()) != null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(p.loaded(stories.toString())).as("unloaded once idle").isNull();
      assertThat(p.memory().resident().taken()).isZero();
      chat(p, stories); // and loads again
      assertThat(p.loaded(stories.toString())).isNotNull();
    }
  }

  @Test
  void keepAliveIsADurationOrForever() {
    assertThat(LocalProviderFactory.keepAlive(null)).isNull();
    assertThat(LocalProviderFactory.keepAlive("forever")).isNull();
    assertThat(LocalProviderFactory.keepAlive("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> LocalProviderFactory.keepAlive("a while"))
        .hasMessageContaining("options.keep_alive must be a duration");
  }
}

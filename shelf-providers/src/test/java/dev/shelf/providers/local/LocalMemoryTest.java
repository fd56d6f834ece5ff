package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shelf.api.ChatChunk;
import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.time.Duration;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/** The local provider's memory bounds: models larger than memory, KV caches over the budget. */
class LocalMemoryTest {
  private static final String FILE = LocalProviderTest.FILE;

  private static LocalProvider provider(long kvBytes, Duration wait, long physical) {
    return new LocalProvider(
        "local", LocalProviderTest.dir(), 1, new Memory(new KvBudget(kvBytes), wait, physical, 0));
  }

  private static void chat(LocalProvider p, int max) {
    var chunks = new ArrayList<ChatChunk>();
    p.chat(
        LocalProviderTest.chat(max, 0.0, null, null, JsonNodeFactory.instance.objectNode()),
        Call.unbounded("t"),
        chunks::add);
    assertThat(chunks).isNotEmpty();
  }

  /** The KV bytes of a chat of {@code max} tokens after the test prompt. */
  private static long kvBytes(LocalProvider p, int max) {
    var chunks = new ArrayList<ChatChunk>();
    p.chat(
        LocalProviderTest.chat(1, 0.0, null, null, JsonNodeFactory.instance.objectNode()),
        Call.unbounded("t"),
        chunks::add);
    int prompt =
        chunks.stream()
            .filter(c -> c.usage() != null)
            .mapToInt(c -> java.util.Objects.requireNonNull(c.usage()).promptTokens())
            .findFirst()
            .orElseThrow();
    var model = p.model(FILE).model();
    return model.kvBytes(Math.min(model.config().contextLength(), prompt + max));
  }

  @Test
  void aRequestWhoseCacheExceedsTheWholeBudgetIsAContextLengthErrorNamingMaxTokens() {
    try (var probe = provider(1L << 30, Duration.ZERO, 0)) {
      long need = kvBytes(probe, 256);
      try (var p = provider(need - 1, Duration.ofSeconds(5), 0)) {
        assertThatThrownBy(() -> chat(p, 256))
            .isInstanceOfSatisfying(
                ProviderException.class,
                e -> {
                  assertThat(e.kind()).isEqualTo(Kind.CONTEXT_LENGTH);
                  assertThat(e.code()).isEqualTo("context_length_exceeded");
                  assertThat(e.param()).isEqualTo("max_tokens");
                  assertThat(e.getMessage())
                      .contains("MiB of KV cache, more than this provider's budget")
                      .contains("stories260K.gguf");
                });
        assertThat(p.memory().kv().used()).isZero();
        chat(p, 16); // fewer positions fit
        assertThat(p.memory().kv().used()).isZero(); // given back when the answer ends
      }
    }
  }

  @Test
  void aRequestThatDoesNotFitBesideOthersWaitsThenIsRateLimitedAndFitsOnceFree() throws Exception {
    try (var p = provider(1L << 20, Duration.ofMillis(100), 0)) {
      KvBudget kv = p.memory().kv();
      var held = kv.reserve(kv.capacity(), 0);
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> chat(p, 16))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
                assertThat(e.code()).isEqualTo("kv_cache_busy");
                assertThat(e.retryAfterMillis()).isEqualTo(1000L);
              });
      assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(100_000_000L);
      held.close();
      chat(p, 16);
      assertThat(kv.used()).isZero();
    }
  }

  @Test
  void aModelLargerThanTheMachinesMemoryIsRefusedNamingBothSizes() {
    try (var p = provider(1L << 30, Duration.ZERO, 1000)) {
      assertThatThrownBy(() -> chat(p, 4))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
                assertThat(e.code()).isEqualTo("model_too_large");
                assertThat(e.getMessage())
                    .contains("stories260K.gguf is 1.1 MiB")
                    .contains("this machine has 0.0 MiB");
              });
    }
  }

  @Test
  void modelsMayTakeTheMachinesMemoryLessTheHeap() {
    long g = 1L << 30;
    assertThat(Memory.forModels(24 * g, 6 * g)).isEqualTo(18 * g);
    assertThat(Memory.forModels(24 * g, 2 * g)).isEqualTo(22 * g);
    assertThat(Memory.forModels(8 * g, Long.MAX_VALUE)).as("no heap bound: half").isEqualTo(4 * g);
    assertThat(Memory.forModels(8 * g, 8 * g))
        .as("a heap as large as the machine")
        .isEqualTo(4 * g);
    assertThat(Memory.forModels(0, 2 * g)).as("unknown stays unknown").isZero();
    long total = Memory.physicalMemory();
    if (total > 0) {
      assertThat(Memory.defaults().physical())
          .isEqualTo(total - Math.min(Runtime.getRuntime().maxMemory(), total / 2));
    }
  }

  @Test
  void theScalesMayTakeTheHeapLeftBesideTheKvBudget() {
    long m = 1L << 20;
    assertThat(Memory.scalesHeap(2048 * m, 1024 * m)).isEqualTo(512 * m);
    assertThat(Memory.scalesHeap(8192 * m, 4096 * m)).isEqualTo(3584 * m);
    assertThat(Memory.scalesHeap(1024 * m, 512 * m)).as("a quarter kept").isEqualTo(256 * m);
    assertThat(Memory.scalesHeap(2048 * m, 2048 * m)).as("none left: every scale refused").isOne();
    assertThat(Memory.scalesHeap(Long.MAX_VALUE, 1024 * m)).as("no bound: unchecked").isZero();
    assertThat(Memory.defaults().scalesHeap())
        .isEqualTo(
            Memory.scalesHeap(
                Runtime.getRuntime().maxMemory(), Runtime.getRuntime().maxMemory() / 2));
  }

  @Test
  void theFactoryReadsSizesAndDurationsAndNamesTheOptionWhenWrong() {
    assertThat(LocalProviderFactory.bytes("kv_cache", "1.5GiB")).isEqualTo(3L << 29);
    assertThat(LocalProviderFactory.bytes("kv_cache", "512 MiB")).isEqualTo(512L << 20);
    assertThat(LocalProviderFactory.bytes("kv_cache", "65536")).isEqualTo(65536);
    assertThat(LocalProviderFactory.duration("kv_wait", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(LocalProviderFactory.duration("kv_wait", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThatThrownBy(() -> LocalProviderFactory.bytes("kv_cache", "lots"))
        .hasMessage("options.kv_cache must be a size such as 512MiB or 2GiB but was 'lots'");
    assertThatThrownBy(() -> LocalProviderFactory.bytes("kv_cache", "0"))
        .hasMessageContaining("must be positive");
    assertThatThrownBy(() -> LocalProviderFactory.duration("kv_wait", "soon"))
        .hasMessageContaining("options.kv_wait");
  }
}

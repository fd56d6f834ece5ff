package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Prefix reuse: a later prompt that begins as a finished one did copies its KV cache. */
class LocalPrefixTest {
  private static final String SYSTEM = "You tell short, kind stories about animals by the sea.";

  private static LocalProvider provider(long kvBytes, int prefixCache) {
    return provider(new KvBudget(kvBytes), prefixCache);
  }

  private static LocalProvider provider(KvBudget kv, int prefixCache) {
    return new LocalProvider(
        "local", LocalProviderTest.dir(), 1, new Memory(kv, Duration.ZERO, 0, prefixCache));
  }

  private static ChatRequest ask(String system, String user) {
    return LocalProviderTest.chat(
        LocalProviderTest.FILE,
        List.of(ChatMessage.of("system", system), ChatMessage.of("user", user)),
        24,
        0.0,
        null,
        null,
        JsonNodeFactory.instance.objectNode());
  }

  private static String answer(LocalProvider p, ChatRequest r) {
    var text = new StringBuilder();
    p.chat(
        r,
        Call.unbounded("t"),
        (ChatChunk c) -> {
          for (ChatChunk.Choice ch : c.choices()) {
            if (ch.delta().content() != null) {
              text.append(ch.delta().content());
            }
          }
        });
    return text.toString();
  }

  /** The KV memory that the sequence of a finished request for {@code r} keeps parked. */
  private static long parkedBytes(ChatRequest r) {
    try (var probe = provider(1L << 30, 4)) {
      answer(probe, r);
      return probe.memory().kv().used();
    }
  }

  private static PrefixCache cache(LocalProvider p) {
    return p.model(LocalProviderTest.FILE).prefixes();
  }

  @Test
  void aSharedSystemPromptIsCopiedNotComputedAndTheAnswersAreTheSame() {
    var questions =
        List.of("Tell me about a cat.", "Tell me about a dog.", "Tell me about a fish.");
    var plain = new ArrayList<String>();
    try (var none = provider(1L << 30, 0)) {
      questions.forEach(q -> plain.add(answer(none, ask(SYSTEM, q))));
      assertThat(cache(none).reusedTokens()).isZero();
      assertThat(cache(none).size()).isZero();
      assertThat(none.memory().kv().used()).isZero();
    }
    try (var reusing = provider(1L << 30, 4)) {
      var got = new ArrayList<String>();
      questions.forEach(q -> got.add(answer(reusing, ask(SYSTEM, q))));

      assertThat(got).isEqualTo(plain);
      PrefixCache cache = cache(reusing);
      int[] first = cache.parked().getLast();
      int[] second = cache.parked().get(1);
      int shared = 0;
      while (first[shared] == second[shared]) {
        shared++;
      }
      assertThat(shared).isGreaterThanOrEqualTo(PrefixCache.MIN_TOKENS);
      // the second and third requests each copied at least the shared system prompt
      assertThat(cache.reusedTokens()).isGreaterThanOrEqualTo(2L * shared);
      assertThat(cache.size()).isEqualTo(3);
      assertThat(reusing.memory().kv().used()).isPositive(); // parked sequences hold memory
    }
  }

  @Test
  void parkedSequencesGiveWayToARequestThatNeedsTheirMemory() {
    long one = parkedBytes(ask(SYSTEM, "Tell me about a cat."));
    // Room for one sequence: each new request must evict the one parked before it.
    try (var tight = provider(one + one / 2, 4)) {
      String a = answer(tight, ask(SYSTEM, "Tell me about a cat."));
      String b = answer(tight, ask("Be brief.", "Hi"));
      String c = answer(tight, ask(SYSTEM, "Tell me about a cat."));
      assertThat(a).isEqualTo(c);
      assertThat(b).isNotEmpty();
      assertThat(cache(tight).size()).isEqualTo(1);
      assertThat(tight.memory().kv().used()).isLessThanOrEqualTo(tight.memory().kv().capacity());
    }
  }

  @Test
  void aProviderSharingTheBudgetTakesTheMemoryOfAnotherOnesParkedSequences() {
    long one = parkedBytes(ask(SYSTEM, "Tell me about a cat."));
    var shared = new KvBudget(one + one / 2);
    try (var first = provider(shared, 4);
        var second = provider(shared, 4)) {
      String a = answer(first, ask(SYSTEM, "Tell me about a cat."));
      assertThat(cache(first).size()).isEqualTo(1);
      assertThat(shared.parked()).isEqualTo(one);

      // The other provider's request does not fit beside it and does not wait (kv_wait 0): it
      // reclaims the first provider's parked sequence, and keeps its own.
      String b = answer(second, ask(SYSTEM, "Tell me about a cat."));
      assertThat(b).isEqualTo(a);
      assertThat(cache(first).size()).isZero();
      assertThat(cache(second).size()).isEqualTo(1);
      assertThat(shared.used()).isEqualTo(one);
    }
    assertThat(shared.used()).isZero(); // closing the providers gave the parked memory back
  }

  @Test
  void providersWithoutABudgetOfTheirOwnShareTheProcesses() {
    try (var a = new LocalProvider("a", LocalProviderTest.dir(), 1);
        var b = new LocalProvider("b", LocalProviderTest.dir(), 1)) {
      assertThat(a.memory().kv()).isSameAs(b.memory().kv()).isSameAs(Memory.PROCESS_KV);
    }
    var factory = new LocalProviderFactory();
    try (var plain = (LocalProvider) factory.create(spec(Map.of()));
        var own = (LocalProvider) factory.create(spec(Map.of("kv_cache", "64MiB")))) {
      assertThat(plain.memory().kv()).isSameAs(Memory.PROCESS_KV);
      assertThat(own.memory().kv()).isNotSameAs(Memory.PROCESS_KV);
      assertThat(own.memory().kv().capacity()).isEqualTo(64L << 20);
    }
  }

  private static ProviderSpec spec(Map<String, Object> options) {
    return new ProviderSpec(
        "local", "local", null, null, null, Map.of(), Duration.ofSeconds(1), options);
  }
}

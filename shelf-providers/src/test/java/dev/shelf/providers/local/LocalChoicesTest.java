package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code n > 1} on the shared stories260K model: the choices are decoded together, each is what the
 * same request would give alone with its seed, and usage counts them all.
 */
class LocalChoicesTest {
  static LocalProvider provider;

  @BeforeAll
  static void start() {
    provider = new LocalProvider("local", LocalProviderTest.dir(), 2);
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  static ChatRequest chat(int n, double temperature, long seed) {
    return new ChatRequest(
        LocalProviderTest.FILE,
        List.of(ChatMessage.of("user", "Tell me a story about a cat.")),
        true,
        true,
        null,
        null,
        null,
        null,
        null,
        null,
        24,
        temperature,
        null,
        seed,
        n,
        null,
        null,
        null,
        null,
        null,
        Json.object());
  }

  /** Each choice's text, finish reason and how many times its role came, and the usage. */
  record Answers(
      Map<Integer, String> texts,
      Map<Integer, String> finishes,
      Map<Integer, Integer> roles,
      @Nullable Usage usage) {}

  static Answers ask(ChatRequest r) {
    List<ChatChunk> chunks = new ArrayList<>();
    provider.chat(r, Call.unbounded("t"), chunks::add);
    Map<Integer, StringBuilder> texts = new TreeMap<>();
    Map<Integer, String> finishes = new HashMap<>();
    Map<Integer, Integer> roles = new HashMap<>();
    Usage usage = null;
    for (ChatChunk c : chunks) {
      if (c.usage() != null) {
        usage = c.usage();
      }
      for (ChatChunk.Choice ch : c.choices()) {
        texts.computeIfAbsent(ch.index(), k -> new StringBuilder());
        if (ch.delta().content() != null) {
          texts.get(ch.index()).append(ch.delta().content());
        }
        if (ch.delta().role() != null) {
          roles.merge(ch.index(), 1, Integer::sum);
        }
        if (ch.finishReason() != null) {
          finishes.put(ch.index(), ch.finishReason());
        }
      }
    }
    Map<Integer, String> out = new TreeMap<>();
    texts.forEach((k, v) -> out.put(k, v.toString()));
    return new Answers(out, finishes, roles, usage);
  }

  @Test
  void nChoicesEachAsTheirSeedGivesThemAlone() {
    Answers three = ask(chat(3, 0.9, 42));
    assertThat(three.texts().keySet()).containsExactly(0, 1, 2);
    assertThat(three.roles()).containsOnly(Map.entry(0, 1), Map.entry(1, 1), Map.entry(2, 1));
    assertThat(three.finishes()).containsOnlyKeys(0, 1, 2);
    assertThat(three.finishes().values()).containsOnly("length");
    assertThat(three.texts().values()).doesNotHaveDuplicates();
    Usage u = java.util.Objects.requireNonNull(three.usage());
    assertThat(u.completionTokens()).isEqualTo(3 * 24);
    // choice 0 is the single answer of the same seed, and a repeat repeats every choice
    assertThat(ask(chat(1, 0.9, 42)).texts().get(0)).isEqualTo(three.texts().get(0));
    assertThat(ask(chat(3, 0.9, 42)).texts()).isEqualTo(three.texts());
    assertThat(u.promptTokens())
        .isEqualTo(java.util.Objects.requireNonNull(ask(chat(1, 0.9, 42)).usage()).promptTokens());
  }

  @Test
  void greedyChoicesAreAllTheGreedyAnswer() {
    Answers greedy = ask(chat(4, 0.0, 1));
    String single = ask(chat(1, 0.0, 1)).texts().get(0);
    assertThat(greedy.texts().values()).hasSize(4).containsOnly(single);
  }

  @Test
  void completionsNumberPromptsTimesChoices() {
    CompletionRequest r =
        new CompletionRequest(
            LocalProviderTest.FILE,
            Json.parse(
                "[\"Once upon a time\", \"The cat\"]"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            true,
            true,
            8,
            0.0,
            null,
            2,
            Json.object());
    List<CompletionChunk> chunks = new ArrayList<>();
    provider.completion(r, Call.unbounded("t"), chunks::add);
    Map<Integer, StringBuilder> texts = new TreeMap<>();
    Usage usage = null;
    for (CompletionChunk c : chunks) {
      if (c.usage() != null) {
        usage = c.usage();
      }
      for (CompletionChunk.Choice ch : c.choices()) {
        texts.computeIfAbsent(ch.index(), k -> new StringBuilder()).append(ch.text());
      }
    }
    assertThat(texts.keySet()).containsExactly(0, 1, 2, 3);
    // greedy: both choices of a prompt agree, and the prompts differ
    List<String> t = texts.values().stream().map(StringBuilder::toString).toList();
    assertThat(t.get(0)).isEqualTo(t.get(1));
    assertThat(t.get(2)).isEqualTo(t.get(3));
    assertThat(t.get(0)).isNotEqualTo(t.get(2));
    assertThat(java.util.Objects.requireNonNull(usage).completionTokens()).isEqualTo(4 * 8);
  }

  @Test
  void anAbortStopsEveryChoiceAndGivesTheirMemoryBack() throws Exception {
    Memory memory =
        new Memory(
            new dev.shelf.engine.runtime.KvBudget(1L << 30), java.time.Duration.ofSeconds(5), 0, 0);
    try (LocalProvider own = new LocalProvider("local", LocalProviderTest.dir(), 2, memory)) {
      java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.atomic.AtomicReference<Call> call =
          new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicReference<Throwable> thrown =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread t =
          Thread.ofPlatform()
              .start(
                  () -> {
                    Call c =
                        Call.start("t", java.time.Duration.ofDays(1), java.time.Duration.ofDays(1));
                    call.set(c);
                    try {
                      // long enough to be cut: 400 tokens a choice
                      ChatRequest r = chat(3, 1.0, 3);
                      own.chat(
                          new ChatRequest(
                              r.model(),
                              r.messages(),
                              true,
                              true,
                              null,
                              null,
                              null,
                              null,
                              null,
                              null,
                              400,
                              1.0,
                              null,
                              3L,
                              3,
                              null,
                              null,
                              null,
                              null,
                              null,
                              Json.object()),
                          c,
                          chunk -> first.countDown());
                    } catch (Throwable e) {
                      thrown.set(e);
                    } finally {
                      c.finish();
                    }
                  });
      assertThat(first.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      java.util.Objects.requireNonNull(call.get()).abort(ProviderException.Kind.CANCELLED);
      t.join(10_000);
      assertThat(t.isAlive()).as("the request returned").isFalse();
      assertThat(thrown.get())
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.CANCELLED));
      assertThat(memory.kv().used()).as("every choice's KV given back").isZero();
    }
  }

  static CompletionRequest bestOf(boolean stream, int n, @Nullable Integer best) {
    CompletionRequest r =
        new CompletionRequest(
            LocalProviderTest.FILE,
            Json.NODES.textNode("Once upon a time"),
            stream,
            true,
            12,
            1.0,
            null,
            n,
            Json.object());
    r.extra().put("seed", 11).put("logprobs", 0);
    if (best != null) {
      r.extra().put("best_of", best);
    }
    return r;
  }

  @Test
  void bestOfReturnsTheNMostLikelyPerTokenOfItsCandidates() {
    List<CompletionChunk> chunks = new ArrayList<>();
    provider.completion(bestOf(false, 2, 5), Call.unbounded("t"), chunks::add);
    Map<Integer, StringBuilder> texts = new TreeMap<>();
    Map<Integer, List<Double>> logprobs = new TreeMap<>();
    Usage usage = null;
    for (CompletionChunk c : chunks) {
      if (c.usage() != null) {
        usage = c.usage();
      }
      for (CompletionChunk.Choice ch : c.choices()) {
        texts.computeIfAbsent(ch.index(), k -> new StringBuilder()).append(ch.text());
        if (ch.logprobs() != null) {
          ch.logprobs()
              .path("token_logprobs")
              .forEach(
                  v ->
                      logprobs
                          .computeIfAbsent(ch.index(), k -> new ArrayList<>())
                          .add(v.asDouble()));
        }
      }
    }
    assertThat(texts.keySet()).containsExactly(0, 1);
    double first =
        java.util.Objects.requireNonNull(logprobs.get(0)).stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElseThrow();
    double second =
        java.util.Objects.requireNonNull(logprobs.get(1)).stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElseThrow();
    assertThat(first).isGreaterThanOrEqualTo(second);
    // all five candidates are billed: 12 tokens each unless one ended early
    assertThat(java.util.Objects.requireNonNull(usage).completionTokens()).isGreaterThan(2 * 12);
    // the best of five is at least as likely per token as the answer of the same seed alone
    List<CompletionChunk> alone = new ArrayList<>();
    provider.completion(bestOf(false, 1, null), Call.unbounded("t"), alone::add);
    double single =
        alone.stream()
            .flatMap(c -> c.choices().stream())
            .filter(ch -> ch.logprobs() != null)
            .flatMap(
                ch ->
                    java.util.stream.StreamSupport.stream(
                        ch.logprobs().path("token_logprobs").spliterator(), false))
            .mapToDouble(JsonNode::asDouble)
            .average()
            .orElseThrow();
    assertThat(first).isGreaterThanOrEqualTo(single);
  }

  @Test
  void bestOfFewerThanNOrStreamedIsABadRequest() {
    for (CompletionRequest r : List.of(bestOf(false, 3, 2), bestOf(true, 1, 3))) {
      assertThatThrownBy(() -> provider.completion(r, Call.unbounded("t"), c -> {}))
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.param()).isEqualTo("best_of"));
    }
  }

  @Test
  void tooManyChoicesIsABadRequestNamingN() {
    assertThatThrownBy(() -> ask(chat(Choices.MAX + 1, 1.0, 1)))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
              assertThat(e.param()).isEqualTo("n");
            });
  }
}

package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.api.EmbeddingResponse;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.engine.template.TemplateInput;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The local provider on the shared stories260K model. */
class LocalProviderTest {
  static final String FILE = "stories260K.gguf";
  static LocalProvider provider;

  static Path dir() {
    String root = System.getProperty("shelf.root");
    if (root != null) {
      Path candidate = Path.of(root).resolve("../shared/models/stories260k").normalize();
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return Path.of("").toAbsolutePath().resolve("../../shared/models/stories260k").normalize();
  }

  @BeforeAll
  static void start() {
    provider = new LocalProvider("local", dir(), 2);
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  static ChatRequest chat(
      @Nullable Integer max,
      @Nullable Double temperature,
      @Nullable Long seed,
      @Nullable List<String> stop,
      ObjectNode extra) {
    return chat(
        FILE,
        List.of(ChatMessage.of("user", "Tell me a story about a cat.")),
        max,
        temperature,
        seed,
        stop,
        extra);
  }

  /** A streamed chat request with usage, of {@code messages} to {@code file}. */
  static ChatRequest chat(
      String file,
      List<ChatMessage> messages,
      @Nullable Integer max,
      @Nullable Double temperature,
      @Nullable Long seed,
      @Nullable List<String> stop,
      ObjectNode extra) {
    return new ChatRequest(
        file,
        messages,
        true,
        true,
        null,
        null,
        null,
        null,
        stop,
        null,
        max,
        temperature,
        null,
        seed,
        null,
        null,
        null,
        null,
        null,
        null,
        extra);
  }

  record Out(String text, List<ChatChunk> chunks, @Nullable String finish, Usage usage) {}

  static Out run(ChatRequest request) {
    return run(provider, request);
  }

  /** Runs {@code request} on {@code provider} and gathers its text, finish reason and usage. */
  static Out run(LocalProvider provider, ChatRequest request) {
    var chunks = new ArrayList<ChatChunk>();
    provider.chat(request, Call.unbounded("t"), chunks::add);
    var text = new StringBuilder();
    String finish = null;
    Usage usage = null;
    for (ChatChunk c : chunks) {
      if (c.usage() != null) {
        usage = c.usage();
      }
      for (ChatChunk.Choice ch : c.choices()) {
        if (ch.delta().content() != null) {
          text.append(ch.delta().content());
        }
        if (ch.finishReason() != null) {
          finish = ch.finishReason();
        }
      }
    }
    if (usage == null) {
      throw new AssertionError("no usage chunk");
    }
    return new Out(text.toString(), chunks, finish, usage);
  }

  static int[] promptIds() {
    LocalProvider.Loaded m = provider.model(FILE);
    String text =
        m.template()
            .render(
                TemplateInput.of(
                    List.of(Map.of("role", "user", "content", "Tell me a story about a cat."))));
    return LocalProvider.encode(m.tokenizer(), text);
  }

  @Test
  void greedyChatIsDeterministicAndEqualsTheEnginesGreedyGeneration() {
    Out a = run(chat(20, 0.0, null, null, Json.object()));
    Out b = run(chat(20, 0.0, null, null, Json.object()));
    assertThat(a.text()).isNotEmpty().isEqualTo(b.text());
    assertThat(a.chunks().get(0).choices().get(0).delta().role()).isEqualTo("assistant");

    LocalProvider.Loaded m = provider.model(FILE);
    int[] prompt = promptIds();
    int[] ids = m.model().newSequence().generate(prompt, 20);
    int end = ids.length;
    for (int i = 0; i < ids.length; i++) {
      if (m.tokenizer().isEndOfGeneration(ids[i])) {
        end = i;
        break;
      }
    }
    assertThat(a.text()).isEqualTo(m.tokenizer().decode(Arrays.copyOf(ids, end)));
    assertThat(a.usage().promptTokens()).isEqualTo(prompt.length);
    assertThat(a.usage().completionTokens()).isEqualTo(end == ids.length ? 20 : end + 1);
  }

  @Test
  void theSameSeedGivesTheSameText() {
    ObjectNode topK = Json.object().put("top_k", 40);
    Out a = run(chat(30, 0.9, 42L, null, topK));
    Out b = run(chat(30, 0.9, 42L, null, topK));
    assertThat(a.text()).isNotEmpty().isEqualTo(b.text());
    Out c = run(chat(30, 1.0, 7L, null, Json.object()));
    Out d = run(chat(30, 1.0, 7L, null, Json.object()));
    assertThat(c.text()).isEqualTo(d.text());
  }

  @Test
  void stopsBeforeAStopStringAndNeverSendsIt() {
    String full = run(chat(40, 0.0, null, null, Json.object())).text();
    assertThat(full.length()).isGreaterThan(10);
    String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
    Out out = run(chat(40, 0.0, null, List.of(stop), Json.object()));
    assertThat(out.text()).isEqualTo(full.substring(0, full.indexOf(stop)));
    assertThat(out.finish()).isEqualTo("stop");
    for (ChatChunk c : out.chunks()) {
      for (ChatChunk.Choice ch : c.choices()) {
        assertThat(ch.delta().content() == null ? "" : ch.delta().content()).doesNotContain(stop);
      }
    }
  }

  @Test
  void maxTokensEndsWithLengthAndUsageCountsTokens() {
    Out out = run(chat(5, 0.0, null, null, Json.object()));
    assertThat(out.finish()).isEqualTo("length");
    assertThat(out.usage().completionTokens()).isEqualTo(5);
    assertThat(out.usage().promptTokens()).isEqualTo(promptIds().length);
  }

  @Test
  void completionRunsWithoutTheTemplate() {
    var chunks = new ArrayList<CompletionChunk>();
    var req =
        new CompletionRequest(
            FILE,
            Json.MAPPER.getNodeFactory().textNode("Once upon a time"),
            true,
            true,
            8,
            0.0,
            null,
            null,
            Json.object());
    provider.completion(req, Call.unbounded("t"), chunks::add);
    var text = new StringBuilder();
    Usage usage = null;
    for (CompletionChunk c : chunks) {
      c.choices().forEach(ch -> text.append(ch.text()));
      if (c.usage() != null) {
        usage = c.usage();
      }
    }
    assertThat(text).isNotEmpty();
    if (usage == null) {
      throw new AssertionError("no usage chunk");
    }
    LocalProvider.Loaded m = provider.model(FILE);
    assertThat(usage.promptTokens())
        .isEqualTo(LocalProvider.encode(m.tokenizer(), "Once upon a time").length);
  }

  @Test
  void preloadLoadsAndWarmsUpBeforeTheFirstRequestAndChangesNoAnswer() {
    try (LocalProvider fresh = new LocalProvider("local", dir(), 2)) {
      assertThat(fresh.loaded(FILE)).isNull();
      fresh.preload(FILE);
      LocalProvider.Loaded preloaded = fresh.loaded(FILE);
      assertThat(preloaded).isNotNull();
      fresh.preload(FILE); // once is enough: the same load, no second warm-up
      assertThat(fresh.loaded(FILE)).isSameAs(preloaded);
      Out warm = run(fresh, chat(20, 0.0, null, null, Json.object()));
      assertThat(fresh.loaded(FILE)).isSameAs(preloaded);
      assertThat(warm.text()).isEqualTo(run(chat(20, 0.0, null, null, Json.object())).text());
    }
  }

  @Test
  void aPreloadOfAMissingFileFailsAsItsRequestWouldAndIsNotKept() {
    try (LocalProvider fresh = new LocalProvider("local", dir(), 2)) {
      for (int attempt = 0; attempt < 2; attempt++) {
        assertThatThrownBy(() -> fresh.preload("nope/missing.gguf"))
            .isInstanceOfSatisfying(
                ProviderException.class,
                e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.NOT_FOUND))
            .hasMessageContaining("missing.gguf");
        assertThat(fresh.loaded("nope/missing.gguf")).isNull();
      }
    }
  }

  @Test
  void aMissingFileIsNotFoundNamingThePath() {
    assertThatThrownBy(() -> run(chatFor("nope/missing.gguf")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.NOT_FOUND))
        .hasMessageContaining("missing.gguf");
  }

  @Test
  void aFileThatIsNotGgufIsABadRequest() {
    assertThatThrownBy(() -> run(chatFor("README.md")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST))
        .hasMessageContaining("README.md");
  }

  @Test
  void aPromptLongerThanTheContextIsRejected() {
    String longText = "the cat sat on the mat. ".repeat(2000);
    var req =
        new ChatRequest(
            FILE,
            List.of(ChatMessage.of("user", longText)),
            false,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            5,
            0.0,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            Json.object());
    assertThatThrownBy(() -> run(req))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ProviderException.Kind.CONTEXT_LENGTH);
              assertThat(e.code()).isEqualTo("context_length_exceeded");
            });
  }

  @Test
  void anInterruptedCallStopsWithTheMappedError() {
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> run(chat(50, 0.0, null, null, Json.object())))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.CANCELLED));
    } finally {
      Thread.interrupted();
    }
  }

  static EmbeddingRequest embedding(String input, @Nullable String format, @Nullable Integer dims) {
    return new EmbeddingRequest(
        FILE,
        Json.parse(input.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        format,
        dims,
        null,
        Json.object());
  }

  @Test
  void embeddingsAreUnitVectorsOfTheModelsWidthWithExactUsage() {
    EmbeddingResponse r =
        provider.embed(
            embedding("[\"Once upon a time\", \"The cat sat.\", \"Once upon a time\"]", null, null),
            Call.unbounded("t"));
    assertThat(r.data()).hasSize(3);
    float[] a = r.data().get(0).floats();
    float[] b = r.data().get(1).floats();
    assertThat(a).hasSize(64); // stories260K's embedding_length
    double norm = 0;
    for (float x : a) {
      norm += x * x;
    }
    assertThat(norm).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
    assertThat(r.data().get(2).floats()).containsExactly(a);
    assertThat(b).isNotEqualTo(a);
    LocalProvider.Loaded m = provider.model(FILE);
    int tokens =
        2 * m.tokenizer().encode("Once upon a time", true).length
            + m.tokenizer().encode("The cat sat.", true).length;
    assertThat(r.promptTokens()).isEqualTo(tokens);
    // alone, as token ids, or base64: the same vector
    assertThat(
            provider
                .embed(embedding("\"The cat sat.\"", null, null), Call.unbounded("t"))
                .data()
                .getFirst()
                .floats())
        .containsExactly(b);
    String ids = java.util.Arrays.toString(m.tokenizer().encode("The cat sat.", true));
    assertThat(
            provider
                .embed(embedding(ids, null, null), Call.unbounded("t"))
                .data()
                .getFirst()
                .floats())
        .containsExactly(b);
    assertThat(
            provider
                .embed(embedding("\"The cat sat.\"", "base64", null), Call.unbounded("t"))
                .data()
                .getFirst()
                .floats())
        .containsExactly(b);
  }

  @Test
  void embeddingDimensionsOtherThanTheModelsAreABadRequest() {
    assertThatThrownBy(() -> provider.embed(embedding("\"hi\"", null, 32), Call.unbounded("t")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
              assertThat(e.param()).isEqualTo("dimensions");
            });
  }

  private static ChatRequest chatFor(String file) {
    return chat(5, 0.0, null, null, Json.object()).withModel(file);
  }
}

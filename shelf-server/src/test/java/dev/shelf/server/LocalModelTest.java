package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A {@code type: local} provider serving the shared stories260K GGUF file, through the SDK. */
class LocalModelTest {
  static final String MASTER = "sk-shelf-master-key-0123456789";
  static ShelfHarness shelf;
  static OpenAIClient client;

  static Path modelDir() {
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
    shelf =
        ShelfHarness.start(
            """
            server: {port: 0, access_log: false}
            auth: {master_key: %s}
            providers:
              local: {type: local, options: {dir: "%s", threads: 2}}
            models:
              - {id: stories, provider: local, upstream: stories260K.gguf}
            """
                .formatted(MASTER, modelDir()));
    client = shelf.sdk(MASTER);
  }

  @AfterAll
  static void stop() {
    shelf.close();
  }

  static ChatCompletionCreateParams.Builder ask() {
    return ChatCompletionCreateParams.builder()
        .model("stories")
        .addUserMessage("Tell me a story.")
        .temperature(0.0)
        .maxCompletionTokens(20);
  }

  @Test
  void aGreedyChatReturnsTextStoppedByLengthWithExactUsage() {
    ChatCompletion c = client.chat().completions().create(ask().build());
    ChatCompletion.Choice choice = c.choices().getFirst();
    assertThat(choice.message().content()).isPresent();
    assertThat(choice.message().content().orElseThrow()).isNotEmpty();
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(20);
    assertThat(c.usage().orElseThrow().promptTokens()).isPositive();
  }

  @Test
  void theStreamConcatenatesToTheSameText() {
    ChatCompletion whole = client.chat().completions().create(ask().build());
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (var s =
        client
            .chat()
            .completions()
            .createStreaming(
                ask()
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      s.stream().forEach(chunks::add);
    }
    var acc = ChatCompletionAccumulator.create();
    chunks.forEach(acc::accumulate);
    ChatCompletion streamed = acc.chatCompletion();
    assertThat(streamed.choices().getFirst().message().content())
        .isEqualTo(whole.choices().getFirst().message().content());
    assertThat(chunks.getLast().usage().orElseThrow().completionTokens()).isEqualTo(20);
  }

  @Test
  void nChoicesComeBackWholeAndStreamed() {
    ChatCompletion whole =
        client.chat().completions().create(ask().n(3).seed(7).temperature(1.0).build());
    assertThat(whole.choices())
        .extracting(ChatCompletion.Choice::index)
        .containsExactly(0L, 1L, 2L);
    assertThat(whole.usage().orElseThrow().completionTokens()).isEqualTo(3 * 20);
    var acc = ChatCompletionAccumulator.create();
    try (var s =
        client.chat().completions().createStreaming(ask().n(3).seed(7).temperature(1.0).build())) {
      s.stream().forEach(acc::accumulate);
    }
    // the same seed: the same three answers, streamed
    assertThat(acc.chatCompletion().choices())
        .extracting(c -> c.message().content().orElseThrow())
        .containsExactlyElementsOf(
            whole.choices().stream().map(c -> c.message().content().orElseThrow()).toList());
  }

  @Test
  void theModelEmbedsThroughTheSdk() {
    var r =
        client
            .embeddings()
            .create(
                com.openai.models.embeddings.EmbeddingCreateParams.builder()
                    .model("stories")
                    .inputOfArrayOfStrings(List.of("Once upon a time", "The cat sat."))
                    .build());
    assertThat(r.data()).hasSize(2);
    List<Float> first = r.data().get(0).embedding();
    assertThat(first).hasSize(64);
    double norm = 0;
    for (float x : first) {
      norm += x * x;
    }
    assertThat(norm).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-4));
    assertThat(r.usage().promptTokens()).isPositive();
  }

  @Test
  void theModelIsListed() {
    List<Model> models = client.models().list().data();
    assertThat(models).extracting(Model::id).contains("stories");
  }
}

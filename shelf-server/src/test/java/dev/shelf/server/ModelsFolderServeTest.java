package dev.shelf.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code shelf serve} with no configuration: GGUF files in DATA_DIR/models come and go. */
class ModelsFolderServeTest {
  @TempDir Path data;

  private static void await(BooleanSupplier cond) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s");
      }
      Thread.sleep(100);
    }
  }

  @Test
  void aFileDroppedIntoTheModelsFolderAnswersAndLeavesWithTheFile() throws Exception {
    try (var shelf = ShelfHarness.withModelsFolder(data)) {
      var client = shelf.sdk("no-key-needed");
      assertThat(client.models().list().data()).extracting(Model::id).doesNotContain("stories");

      Path models = Files.createDirectories(data.resolve("models"));
      Path file =
          Files.createSymbolicLink(
              models.resolve("stories.gguf"),
              LocalModelTest.modelDir().resolve("stories260K.gguf"));
      await(() -> client.models().list().data().stream().anyMatch(m -> m.id().equals("stories")));

      ChatCompletion c =
          client
              .chat()
              .completions()
              .create(
                  ChatCompletionCreateParams.builder()
                      .model("stories")
                      .addUserMessage("Once upon a time")
                      .temperature(0.0)
                      .maxCompletionTokens(8)
                      .build());
      assertThat(c.choices().getFirst().message().content().orElseThrow()).isNotEmpty();
      assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(8);
      // The bundled embedding models of the defaults are still there beside it.
      assertThat(client.models().list().data())
          .extracting(Model::id)
          .contains("all-minilm-l6-v2", "stories");

      Files.delete(file);
      await(() -> client.models().list().data().stream().noneMatch(m -> m.id().equals("stories")));
    }
  }
}

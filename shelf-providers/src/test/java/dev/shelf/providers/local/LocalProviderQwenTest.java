package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.engine.gguf.GgufWriter;
import dev.shelf.engine.model.SyntheticModel;
import dev.shelf.engine.template.TemplateInput;
import dev.shelf.engine.tensor.Parallel;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local provider serves the other architectures too: synthetic {@code qwen2} and {@code qwen3}
 * files answer a chat with the engine's own greedy tokens, and a file of an architecture the engine
 * does not run is a bad request that names it.
 */
class LocalProviderQwenTest {
  @TempDir static Path dir;
  static LocalProvider provider;

  @BeforeAll
  static void start() throws IOException {
    for (SyntheticModel.Shape shape :
        List.of(SyntheticModel.TINY_QWEN2, SyntheticModel.TINY_QWEN3)) {
      SyntheticModel.write(
          dir.resolve(shape.name() + ".gguf"), shape, "Q8_0", 5, Parallel.shared(), (d, t) -> {});
    }
    new GgufWriter()
        .putString("general.architecture", "gemma2")
        .putUint32("gemma2.embedding_length", 64)
        .write(dir.resolve("gemma.gguf"));
    provider = new LocalProvider("local", dir, 2);
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  static ChatRequest chat(String file) {
    return LocalProviderTest.chat(
        file,
        List.of(ChatMessage.of("user", "Tell me a story about a cat.")),
        12,
        0.0,
        null,
        null,
        Json.object());
  }

  @Test
  void aGreedyChatEqualsTheEnginesGreedyTokens() {
    for (String file : List.of("tiny-qwen2.gguf", "tiny-qwen3.gguf")) {
      var chunks = new ArrayList<ChatChunk>();
      provider.chat(chat(file), Call.unbounded("t"), chunks::add);
      var text = new StringBuilder();
      @Nullable Usage usage = null;
      for (ChatChunk c : chunks) {
        if (c.usage() != null) {
          usage = c.usage();
        }
        for (ChatChunk.Choice ch : c.choices()) {
          if (ch.delta().content() != null) {
            text.append(ch.delta().content());
          }
        }
      }
      LocalProvider.Loaded m = provider.model(file);
      assertThat(m.model().architecture().name()).isEqualTo(file.substring(5, 10));
      String rendered =
          m.template()
              .render(
                  TemplateInput.of(
                      List.of(Map.of("role", "user", "content", "Tell me a story about a cat."))));
      int[] prompt = LocalProvider.encode(m.tokenizer(), rendered);
      int[] ids = m.model().newSequence().generate(prompt, 12);
      int end = ids.length;
      for (int i = 0; i < ids.length; i++) {
        if (m.tokenizer().isEndOfGeneration(ids[i])) {
          end = i;
          break;
        }
      }
      assertThat(text.toString())
          .as(file)
          .isNotEmpty()
          .isEqualTo(m.tokenizer().decode(Arrays.copyOf(ids, end)));
      assertThat(usage).isNotNull();
      assertThat(java.util.Objects.requireNonNull(usage).promptTokens()).isEqualTo(prompt.length);
    }
  }

  @Test
  void anUnknownArchitectureIsABadRequestNamingIt() {
    assertThatThrownBy(() -> provider.chat(chat("gemma.gguf"), Call.unbounded("t"), c -> {}))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST))
        .hasMessageContaining("gemma.gguf")
        .hasMessageContaining("general.architecture 'gemma2' is not supported")
        .hasMessageContaining("llama, qwen2, qwen3");
  }
}

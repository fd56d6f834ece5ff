package dev.shelf.providers.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.engine.gguf.GgufFile;
import dev.shelf.engine.tokenizer.Tokenizer;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.testing.ScriptedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fill-in-the-middle through {@code suffix}: the infill prompt, and files that cannot. */
class InfillTest {
  @TempDir static Path dir;
  static LocalProvider provider;

  @BeforeAll
  static void start() throws IOException {
    ScriptedModel.write(
        dir.resolve("coder.gguf"),
        null,
        List.of("return a + b"),
        List.of("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"));
    ScriptedModel.write(dir.resolve("plain.gguf"), null, List.of("hello"));
    provider = new LocalProvider("local", dir, 2);
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  @Test
  void starCodersTokensAreFoundByTheirText() throws IOException {
    Path vocab = LocalProviderTest.dir().resolve("../vocab/ggml-vocab-starcoder.gguf").normalize();
    try (GgufFile f = GgufFile.open(vocab)) {
      Tokenizer t = Tokenizer.fromGguf(f);
      Infill infill = java.util.Objects.requireNonNull(Infill.of(f.metadata(), t));
      assertThat(infill)
          .isEqualTo(
              new Infill(
                  t.tokenId("<fim_prefix>"), t.tokenId("<fim_suffix>"), t.tokenId("<fim_middle>")));
      assertThat(infill.pre()).isPositive();
    }
  }

  static String complete(String file, @Nullable String suffix, boolean echo, List<Usage> usage) {
    CompletionRequest r =
        new CompletionRequest(
            file,
            Json.NODES.textNode("def add(a, b):\n    "),
            true,
            true,
            16,
            0.0,
            null,
            null,
            Json.object());
    if (suffix != null) {
      r.extra().put("suffix", suffix);
    }
    if (echo) {
      r.extra().put("echo", true);
    }
    List<CompletionChunk> chunks = new ArrayList<>();
    provider.completion(r, Call.unbounded("t"), chunks::add);
    StringBuilder text = new StringBuilder();
    for (CompletionChunk c : chunks) {
      if (c.usage() != null) {
        usage.add(c.usage());
      }
      for (CompletionChunk.Choice ch : c.choices()) {
        text.append(ch.text());
      }
    }
    return text.toString();
  }

  @Test
  void aSuffixMakesTheInfillPrompt() {
    List<Usage> usage = new ArrayList<>();
    assertThat(complete("coder.gguf", "\n\nprint(add(1, 2))", false, usage))
        .isEqualTo("return a + b");
    Tokenizer t = provider.model("coder.gguf").tokenizer();
    int expected =
        1 // BOS
            + 3 // prefix, suffix and middle tokens
            + t.encode("def add(a, b):\n    ", false).length
            + t.encode("\n\nprint(add(1, 2))", false).length;
    assertThat(usage.getLast().promptTokens()).isEqualTo(expected);
    Infill infill =
        java.util.Objects.requireNonNull(
            Infill.of(provider.model("coder.gguf").file().metadata(), t));
    int[] prompt = infill.prompt(t, new int[] {7, 8}, new int[] {9});
    assertThat(prompt).containsExactly(t.bos(), infill.pre(), 7, 8, infill.suf(), 9, infill.mid());
  }

  @Test
  void aFileWithoutInfillTokensOrEchoWithASuffixIsABadRequest() {
    for (var call :
        List.<Runnable>of(
            () -> complete("plain.gguf", "x", false, new ArrayList<>()),
            () -> complete("coder.gguf", "x", true, new ArrayList<>()))) {
      assertThatThrownBy(call::run)
          .isInstanceOfSatisfying(
              ProviderException.class, e -> assertThat(e.param()).isEqualTo("suffix"));
    }
  }
}

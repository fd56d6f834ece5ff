package dev.shelf.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.catalog.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsFolderTest {
  @TempDir Path data;

  private ShelfConfig config(String yaml) {
    return new ConfigLoader(Map.of()).parse("shelf.yaml", yaml);
  }

  private Path models() throws Exception {
    return Files.createDirectories(data.resolve("models"));
  }

  @Test
  void aMissingOrEmptyFolderLeavesTheConfigurationAsItIs() throws Exception {
    ShelfConfig c = config("models: []\n");
    var folder = new ModelsFolder(data.resolve("models"));

    assertThat(folder.addTo(c)).isSameAs(c);
    assertThat(folder.fingerprint()).isEmpty();

    Files.writeString(models().resolve("notes.txt"), "not a model");
    assertThat(folder.addTo(c)).isSameAs(c);
  }

  @Test
  void eachGgufFileIsAModelOfALocalProviderOverTheFolder() throws Exception {
    Path dir = models();
    Files.write(dir.resolve("Llama-3.2-1B-Q4_0.gguf"), new byte[] {1});
    Files.write(dir.resolve("small.GGUF"), new byte[] {2});
    Files.write(dir.resolve("coming.gguf.part"), new byte[] {3}); // shelf pull still writing
    Files.write(dir.resolve(".hidden.gguf"), new byte[] {4});
    Files.write(dir.resolve(".gguf"), new byte[] {5});
    Files.createDirectories(dir.resolve("folder.gguf"));

    ShelfConfig c = new ModelsFolder(dir).addTo(config("models: []\n"));

    assertThat(c.models())
        .extracting(ModelSpec::id, ModelSpec::provider, ModelSpec::upstream, ModelSpec::ownedBy)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "Llama-3.2-1B-Q4_0", "local", "Llama-3.2-1B-Q4_0.gguf", "local"),
            org.assertj.core.groups.Tuple.tuple("small", "local", "small.GGUF", "local"));
    var p = java.util.Objects.requireNonNull(c.providers().get("local"));
    assertThat(p.type()).isEqualTo("local");
    assertThat(p.options()).containsEntry("dir", dir.toAbsolutePath().normalize().toString());
  }

  @Test
  void theFilesHeaderGivesContextAndCapabilities() throws Exception {
    Path dir = models();
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "llama")
        .putUint32("llama.context_length", 4096)
        .write(dir.resolve("chat.gguf"));
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "qwen3")
        .putString("tokenizer.chat_template", "{{ '<think>' }}")
        .write(dir.resolve("thinker.gguf"));
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "qwen3")
        .putUint32("qwen3.context_length", 32768)
        .putUint32("qwen3.pooling_type", 3)
        .write(dir.resolve("embed.gguf"));
    Files.write(dir.resolve("broken.gguf"), new byte[] {1, 2, 3});
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "qwen3")
        .putUint32("qwen3.pooling_type", 4)
        .write(dir.resolve("reranker.gguf"));
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "llama")
        .putUint32("llama.pooling_type", 0)
        .write(dir.resolve("none.gguf"));

    ShelfConfig c = new ModelsFolder(dir).addTo(config("models: []\n"));

    assertThat(c.models())
        .extracting(
            ModelSpec::id, ModelSpec::context, m -> new java.util.TreeSet<>(m.capabilities()))
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "broken",
                null,
                new java.util.TreeSet<>(java.util.Set.of("completion", "json", "tools"))),
            org.assertj.core.groups.Tuple.tuple(
                "chat",
                4096,
                new java.util.TreeSet<>(java.util.Set.of("completion", "json", "tools"))),
            org.assertj.core.groups.Tuple.tuple(
                "embed", 32768, new java.util.TreeSet<>(java.util.Set.of("embedding"))),
            // pooling "none" is a chat model's; a reranker's (4) is served by nothing here
            org.assertj.core.groups.Tuple.tuple(
                "none",
                null,
                new java.util.TreeSet<>(java.util.Set.of("completion", "json", "tools"))),
            org.assertj.core.groups.Tuple.tuple("reranker", null, new java.util.TreeSet<String>()),
            org.assertj.core.groups.Tuple.tuple(
                "thinker",
                null,
                new java.util.TreeSet<>(
                    java.util.Set.of("completion", "json", "reasoning", "tools"))));
  }

  @Test
  void aRewrittenFilesHeaderIsReadAgain() throws Exception {
    Path dir = models();
    Path f = dir.resolve("m.gguf");
    var folder = new ModelsFolder(dir);
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "llama")
        .putUint32("llama.context_length", 2048)
        .write(f);
    assertThat(folder.addTo(config("models: []\n")).models().getFirst().context()).isEqualTo(2048);
    new dev.shelf.engine.gguf.GgufWriter()
        .putString("general.architecture", "llama")
        .putUint32("llama.context_length", 8192)
        .putString("general.name", "bigger")
        .write(f);
    Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(folder.addTo(config("models: []\n")).models().getFirst().context()).isEqualTo(8192);
  }

  @Test
  void theConfigurationWins() throws Exception {
    Path dir = models();
    Files.write(dir.resolve("taken.gguf"), new byte[] {1});
    Files.write(dir.resolve("served.gguf"), new byte[] {2});
    Files.write(dir.resolve("free.gguf"), new byte[] {3});
    ShelfConfig base =
        config(
            """
            providers:
              local: {type: openai, base_url: "http://127.0.0.1:9/v1"}
              mine: {type: local, options: {dir: "%s"}}
            models:
              - {id: taken, provider: local}
              - {id: my-name, provider: mine, upstream: served.gguf}
            """
                .formatted(dir));

    ShelfConfig c = new ModelsFolder(dir).addTo(base);

    // "taken" is an id of the file, "served.gguf" a file the file already serves; the provider
    // name "local" belongs to the file, so the folder's provider takes another.
    assertThat(c.models()).extracting(ModelSpec::id).containsExactly("taken", "my-name", "free");
    assertThat(c.models().getLast().provider()).isEqualTo(ModelsFolder.FALLBACK_PROVIDER);
    assertThat(java.util.Objects.requireNonNull(c.providers().get("local")).type())
        .isEqualTo("openai");
    assertThat(
            java.util.Objects.requireNonNull(c.providers().get(ModelsFolder.FALLBACK_PROVIDER))
                .type())
        .isEqualTo("local");
  }

  @Test
  void theFingerprintChangesWhenAFileComesChangesOrGoes() throws Exception {
    Path dir = models();
    var folder = new ModelsFolder(dir);
    String empty = folder.fingerprint();

    Path f = dir.resolve("a.gguf");
    Files.write(f, new byte[] {1});
    String one = folder.fingerprint();
    assertThat(one).isNotEqualTo(empty);
    assertThat(folder.fingerprint()).isEqualTo(one);

    Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(60)));
    String touched = folder.fingerprint();
    assertThat(touched).isNotEqualTo(one);

    Files.write(dir.resolve("b.gguf.part"), new byte[] {1});
    assertThat(folder.fingerprint()).isEqualTo(touched);

    Files.delete(f);
    assertThat(folder.fingerprint()).isEqualTo(empty);
  }
}

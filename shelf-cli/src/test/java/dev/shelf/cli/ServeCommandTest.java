package dev.shelf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.config.ConfigLoader;
import dev.shelf.gateway.config.ShelfConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
  @TempDir Path dir;

  private static final String YAML =
      """
      providers:
        local: {type: local}
      models:
        - {id: a, provider: local, upstream: a.gguf}
        - {id: b, provider: local, upstream: b.gguf, preload: true}
        - {id: c, provider: local, upstream: c.gguf}
      """;

  private static List<String> preloaded(ShelfConfig c) {
    return c.models().stream().filter(ModelSpec::preload).map(ModelSpec::id).toList();
  }

  @Test
  void preloadMarksTheNamedModelsOrAllAndKeepsWhatTheFileMarks() {
    ShelfConfig c = new ConfigLoader(Map.of()).parse("shelf.yaml", YAML);
    assertThat(preloaded(ServeCommand.preload(c, List.of()))).containsExactly("b");
    assertThat(preloaded(ServeCommand.preload(c, List.of("c")))).containsExactly("b", "c");
    assertThat(preloaded(ServeCommand.preload(c, List.of("all")))).containsExactly("a", "b", "c");
  }

  @Test
  void anUnknownModelToPreloadIsAnErrorBeforeServing() {
    CliRun r =
        CliRun.run("serve", "--data-dir", dir.toString(), "--port", "0", "--preload", "nothere");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--preload: no model 'nothere' on the shelf");
  }
}

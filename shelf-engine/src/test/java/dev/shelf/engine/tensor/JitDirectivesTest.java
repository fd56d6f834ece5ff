package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class JitDirectivesTest {

  private static String printDirectives() throws Exception {
    return String.valueOf(
        ManagementFactory.getPlatformMBeanServer()
            .invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "compilerDirectivesPrint",
                new Object[] {new String[0]},
                new String[] {String[].class.getName()}));
  }

  @Test
  void makingAMatrixPutsTheKernelDirectivesInForce() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      WeightMatrix.of(GgmlType.Q8_0, arena.allocate(34), 1, 32);
    }

    assertThat(JitDirectives.installed()).isTrue();
    String printed = printDirectives();
    // The kernels are roots of their own everywhere else, and inline their vector helpers.
    assertThat(printed)
        .contains("dev/shelf/engine/tensor/*.dotRows")
        .contains("dev/shelf/engine/tensor/*.dotVector")
        .contains("dev/shelf/engine/tensor/Tiles.kernel*")
        .contains("dev/shelf/engine/tensor/VectorLanes.*")
        .contains("dev/shelf/engine/tensor/*.quants");
  }

  @Test
  void theDirectivesFileForceInlinesHelpersEverywhereAndKeepsKernelsOutOfCallers() {
    String json = JitDirectives.json();

    // One directive for every compilation: a helper compiled as a root of its own (hot before its
    // kernel) inlines its helpers too, and no caller inlines a kernel.
    assertThat(json).containsOnlyOnce("match:").contains("match: [\"*.*\"]");
    assertThat(json)
        .contains("\"+dev/shelf/engine/tensor/*.dotVector\"")
        .contains("\"+dev/shelf/engine/tensor/VectorLanes.*\"")
        .contains("\"+dev/shelf/engine/tensor/*.column*\"")
        .contains("\"-dev/shelf/engine/tensor/*.dotRows\"");
  }
}

package dev.shelf.engine.tensor;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * Tells the JIT how to compile the kernels, through HotSpot's compiler directives, added once per
 * JVM when the first {@link WeightMatrix} is made.
 *
 * <h2>Why</h2>
 *
 * A Vector API kernel is fast only when every vector it touches stays inside one compiled method; a
 * vector handed to a call the JIT did not inline is boxed on the heap, and the kernel then runs at
 * a fifth of its speed or less. Left to its own heuristics, HotSpot's C2 decides that from run to
 * run: a kernel inlined into its caller's loop crosses the depth limit ({@code MaxInlineLevel})
 * before reaching the Vector API's intrinsics, and a helper that returns a vector and was compiled
 * on its own first is refused as "already compiled into a big method". The same jar gave 4.7 or 9.7
 * tokens/s of Q4_0 decode depending on the run; raising the limits by flags made it worse (the
 * larger methods then hit C2's node limit). So the directives fix both sides:
 *
 * <ul>
 *   <li>each kernel (a type's row loop {@code dotRows}, {@code dequantizeVector}, the tiled loops
 *       in {@link Tiles}, and Q5_K's decoding of its packed block scales) is compiled as a method
 *       of its own, never inlined into its caller, so its depth starts at zero;
 *   <li>the row kernel ({@code dotVector}, or Q4_K's and Q5_K's {@code dot}) and the small helpers
 *       that pass vectors around ({@link VectorLanes} and each type's {@code quants}, {@code
 *       lowQuants}, {@code highQuants}, {@code term}, Q5_K's {@code sub}, Q6_K's {@code column*}
 *       and {@code eights}, and Q8_0's {@code part}) are always inlined, wherever they are called.
 * </ul>
 *
 * With them the same decode measured 10.9-12.4 tokens/s in every run. Nothing here changes a
 * result: the directives choose only what is compiled where.
 *
 * <p>One limit stays: C2 stops inlining, forced or not, once a compilation passes about 18,000
 * nodes ({@code NodeCountInliningCutoff}, not settable in a product JVM), and every Vector API call
 * costs dozens of nodes before it becomes one instruction. A kernel that writes out eight copies of
 * a decoding step crosses it and runs boxed at a third of its speed (a Q6_K kernel tried so did);
 * keep kernel bodies to a loop over one or two copies. {@code KernelCompilationTest} reads C2's
 * compilation log of each type's kernels and fails on any such inlining failure.
 *
 * <p>The directives go in through the {@code Compiler.directives_add} diagnostic command of the
 * platform MBean server (what {@code jcmd PID Compiler.directives_add FILE} does), so they apply in
 * any JVM that runs the engine, tests and embedders included, without flags. A JVM without that
 * command (not HotSpot) runs the kernels as before; {@code -Dshelf.jit.directives=false} turns them
 * off.
 */
final class JitDirectives {
  private static final System.Logger LOG = System.getLogger("shelf.engine");

  static final String PROPERTY = "shelf.jit.directives";

  private static final String PACKAGE = "dev/shelf/engine/tensor/";

  /** The kernels: compiled alone, each its own root. */
  private static final String[] KERNELS = {
    PACKAGE + "*.dotRows",
    PACKAGE + "*.dequantizeVector",
    PACKAGE + "Tiles.kernel*",
    PACKAGE + "Tiles.multiplyRows",
    PACKAGE + "Q4KMatrix.scales",
  };

  /** What the kernels call with vectors: always inlined into them. */
  private static final String[] HELPERS = {
    PACKAGE + "*.dotVector",
    PACKAGE + "VectorLanes.*",
    PACKAGE + "*.quants",
    PACKAGE + "*.*Quants",
    PACKAGE + "Q5KMatrix.sub",
    PACKAGE + "Q4KMatrix.dot",
    PACKAGE + "Q5KMatrix.dot",
    PACKAGE + "*.term",
    PACKAGE + "*.column*",
    PACKAGE + "Q6KMatrix.eights",
    PACKAGE + "Q8_0Matrix.part",
  };

  private static final boolean INSTALLED = install();

  private JitDirectives() {}

  /** Makes sure the directives were added (once per JVM); true if they are in force. */
  static boolean installed() {
    return INSTALLED;
  }

  /**
   * The directives file: HotSpot's JSON dialect, one directive for every compilation: helpers in,
   * kernels out (a small kernel such as the K-quant scales would otherwise be inlined into another
   * by the usual size rule). The helpers go into every compilation, not only into kernels: a helper
   * is compiled as a root of its own while the kernel that calls it still runs in C1's code (a
   * type's row kernel is hot long before its row loop), and the helpers it calls must be inlined
   * there as well. With the helpers forced only into kernels, Q6_K's {@code dotVector}, compiled
   * alone, called its {@code columnDot} as a separate method ("already compiled into a big
   * method"), passed vectors boxed, and the Q6_K output matrix of a Q4_0 file ran through the
   * Vector API's Java fallback for a whole benchmark: 5.5% of all its samples in {@code
   * lanewiseTemplate} under {@code columnDot}, none after (AMD EPYC Zen 4, JFR).
   */
  static String json() {
    StringBuilder out = new StringBuilder("[\n  {\n    match: [\"*.*\"],\n    inline: ");
    list(out, "+", HELPERS, "-", KERNELS);
    return out.append("\n  }\n]\n").toString();
  }

  private static void list(
      StringBuilder out, String sign, String[] patterns, String otherSign, String[] others) {
    out.append('[');
    for (int i = 0; i < patterns.length + others.length; i++) {
      boolean first = i < patterns.length;
      out.append(i == 0 ? "" : ", ")
          .append('"')
          .append(first ? sign : otherSign)
          .append(first ? patterns[i] : others[i - patterns.length])
          .append('"');
    }
    out.append(']');
  }

  private static boolean install() {
    if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
      return false;
    }
    Path file = null;
    try {
      file = Files.createTempFile("shelf-jit-", ".json");
      Files.writeString(file, json(), StandardCharsets.UTF_8);
      Object reply =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "compilerDirectivesAdd",
                  new Object[] {new String[] {file.toString()}},
                  new String[] {String[].class.getName()});
      String text = String.valueOf(reply).strip();
      if (!text.startsWith("1 compiler directives added")) {
        LOG.log(System.Logger.Level.DEBUG, "the JIT did not take the kernel directives: " + text);
        return false;
      }
      return true;
    } catch (Exception | LinkageError e) {
      // Not HotSpot, no java.management, or no room for a temporary file: the kernels still run,
      // with the JIT's own choices.
      LOG.log(System.Logger.Level.DEBUG, "could not add the kernel compiler directives", e);
      return false;
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (Exception e) {
          LOG.log(System.Logger.Level.DEBUG, "could not delete " + file, e);
        }
      }
    }
  }
}

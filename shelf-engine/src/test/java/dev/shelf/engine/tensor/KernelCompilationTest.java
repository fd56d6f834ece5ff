package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.gguf.GgmlType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each type's kernels, as C2 compiles them, inline everything they call with vectors. A kernel that
 * crosses one of C2's limits (the node count past which it stops inlining, about 18,000 and not
 * settable in product JVMs; the inlining depth; a helper already compiled into a big method) still
 * gives the right floats, but its vectors are boxed on the heap and it runs two to five times
 * slower: the Q6_K kernel did, twice, and nothing else noticed. So this test runs each type hot in
 * a JVM of its own with {@code -XX:+LogCompilation} and reads the C2 compilations of its kernels
 * ({@code dotRows}, {@code dequantizeVector}, the {@link Tiles} kernels) for inlining failures of
 * those kinds. One type per JVM: compiled together, the types' profiles mix.
 *
 * <p>The probe runs at the JVM's own vector width; {@code -Dprobe.simd=128} (or 256) runs it at
 * another, as a machine with narrower vectors would (ARM's NEON is 128 bits). At 128 bits on x86
 * the K-quant kernels still fail here, on byte-lane operations C2 does not intrinsify for SSE
 * ({@code ByteVector} fallbacks "inlining too deep"), which says little about NEON, so only the
 * native width is checked by default.
 */
class KernelCompilationTest {
  private static final long HOT_MILLIS = 1_500;

  /** The kernels: what {@link JitDirectives} compiles as roots of their own. */
  private static final Pattern KERNEL =
      Pattern.compile(
          "dev\\.shelf\\.engine\\.tensor\\.\\w+ (dotRows|dequantizeVector|kernel\\w*|multiplyRows|scales) .*");

  /**
   * A type's row kernel, which takes and returns no vector but must be inlined all the same: left
   * out, it is compiled as a root of its own, where {@link JitDirectives} does not force the vector
   * helpers in. Q4_K's {@code dot} was, and the Q4_K row kernel ran at a quarter of its speed in
   * some runs.
   */
  private static final Pattern ROW_KERNEL =
      Pattern.compile("dev[./]shelf[./]engine[./]tensor[./]\\w+::(dot|dotVector)");

  /** Inlining failures that box a kernel's vectors (the rest are cold paths: throws, checks). */
  private static final List<String> BOXING =
      List.of(
          "NodeCountInliningCutoff",
          "inlining too deep",
          "big method",
          "hot method too big",
          "intrinsic");

  @ParameterizedTest(name = "{0}")
  @EnumSource(GgmlType.class)
  void everyKernelInlinesItsVectorCode(GgmlType type, @TempDir Path dir)
      throws IOException, InterruptedException, XMLStreamException {
    String self = "dev.shelf.engine.tensor." + matrixClass(type);
    List<String> wanted =
        List.of(
            self + " dotRows",
            self + " dequantizeVector",
            "dev.shelf.engine.tensor.Tiles kernel4x4");
    // The type's own kernels must be compiled (so the check below sees them): a busy machine gets
    // longer runs before that counts as a failure.
    Map<String, List<String>> compiled = Map.of();
    for (long millis = HOT_MILLIS; millis <= 16 * HOT_MILLIS; millis *= 4) {
      compiled = probe(type, dir.resolve("compilation-" + millis + ".xml"), millis);
      Set<String> names = compiled.keySet();
      if (wanted.stream().allMatch(w -> names.stream().anyMatch(k -> k.startsWith(w)))) {
        break;
      }
    }
    Set<String> names = compiled.keySet();
    assertThat(wanted)
        .as("C2 compilations of kernels: %s", names)
        .allMatch(w -> names.stream().anyMatch(k -> k.startsWith(w)));
    Map<String, List<String>> failing = new HashMap<>();
    compiled.forEach(
        (kernel, failures) -> {
          if (!failures.isEmpty()) {
            failing.put(kernel, failures);
          }
        });
    assertThat(failing).as("kernels whose vector code C2 did not inline").isEmpty();
  }

  /** Runs the probe for {@code millis} with compilation logged; the kernels C2 compiled. */
  private static Map<String, List<String>> probe(GgmlType type, Path log, long millis)
      throws IOException, InterruptedException, XMLStreamException {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // compile in the calling thread, so that a busy machine's compiler queue does not
                // leave the kernels interpreted through the whole run
                "-Xbatch",
                "-D" + Simd.PROPERTY + "=" + System.getProperty("probe.simd", "auto"),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UnlockDiagnosticVMOptions",
                "-XX:+LogCompilation",
                "-XX:LogFile=" + log,
                "-cp",
                System.getProperty("java.class.path"),
                KernelCompilationProbe.class.getName(),
                type.name(),
                Long.toString(millis))
            .redirectErrorStream(true)
            .start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return c2Kernels(log);
  }

  private static boolean isVector(String klass) {
    return klass.startsWith("jdk.incubator.vector.") || klass.startsWith("jdk.internal.vm.vector.");
  }

  private static String matrixClass(GgmlType type) {
    byte[] bytes = TensorFixtures.randomMatrix(type, 1, 256, new Random(1));
    return WeightMatrix.of(type, TensorFixtures.nativeCopy(bytes), 1, 256)
        .getClass()
        .getSimpleName();
  }

  /**
   * The C2 compilations of kernels in a compilation log, each with the inlining failures of the
   * boxing kinds it holds ({@code callee: reason}).
   */
  static Map<String, List<String>> c2Kernels(Path log) throws IOException, XMLStreamException {
    Map<String, List<String>> kernels = new HashMap<>();
    XMLInputFactory factory = XMLInputFactory.newFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    try (InputStream in = Files.newInputStream(log)) {
      XMLStreamReader xml = factory.createXMLStreamReader(in);
      List<String> task = null;
      Map<String, String> klasses = new HashMap<>();
      Map<String, String> methods = new HashMap<>();
      String callee = "?";
      Set<String> vectorCallees = new HashSet<>();
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.END_ELEMENT && xml.getLocalName().equals("task")) {
          task = null;
          continue;
        }
        if (event != XMLStreamConstants.START_ELEMENT) {
          continue;
        }
        switch (xml.getLocalName()) {
          case "task" -> {
            String method = xml.getAttributeValue(null, "method");
            String level = xml.getAttributeValue(null, "level");
            boolean c2 = level == null || level.equals("4");
            task = null;
            if (c2 && method != null && KERNEL.matcher(method).matches()) {
              String kind = xml.getAttributeValue(null, "compile_kind");
              task = new ArrayList<>();
              kernels.put(
                  method + (kind == null ? "" : " (" + kind + ")") + " #" + kernels.size(), task);
              klasses.clear();
              vectorCallees.clear();
              methods.clear();
              callee = "?";
            }
          }
          case "klass" -> {
            if (task != null) {
              klasses.put(xml.getAttributeValue(null, "id"), xml.getAttributeValue(null, "name"));
            }
          }
          case "method" -> {
            if (task != null) {
              String holder = klasses.getOrDefault(xml.getAttributeValue(null, "holder"), "?");
              String name = holder + "::" + xml.getAttributeValue(null, "name");
              methods.put(xml.getAttributeValue(null, "id"), name);
              // A call that is not inlined boxes vectors only if vectors cross it: the Vector
              // API's own methods, or ours that take or return a vector.
              String types =
                  holder
                      + " "
                      + xml.getAttributeValue(null, "return")
                      + " "
                      + xml.getAttributeValue(null, "arguments");
              if (ROW_KERNEL.matcher(name).matches()
                  || Arrays.stream(types.split(" "))
                      .map(id -> klasses.getOrDefault(id, id))
                      .anyMatch(KernelCompilationTest::isVector)) {
                vectorCallees.add(name);
              }
            }
          }
          case "call" -> {
            if (task != null) {
              String id = xml.getAttributeValue(null, "method");
              callee = methods.getOrDefault(id, id);
            }
          }
          case "inline_fail" -> {
            String reason = xml.getAttributeValue(null, "reason");
            if (task != null
                && reason != null
                && BOXING.stream().anyMatch(reason::contains)
                && (reason.contains("intrinsic") || vectorCallees.contains(callee))) {
              task.add(callee + ": " + reason);
            }
          }
          default -> {}
        }
      }
    }
    return kernels;
  }
}

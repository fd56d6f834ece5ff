package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.util.Random;

/**
 * Runs one type's kernels hot for a while, so that a JVM started with {@code -XX:+LogCompilation}
 * records how C2 compiled them: {@link KernelCompilationTest}'s subject, run in a JVM of its own
 * per type. Arguments: the type, then how long to run in milliseconds.
 */
final class KernelCompilationProbe {
  private KernelCompilationProbe() {}

  public static void main(String[] args) {
    GgmlType type = GgmlType.valueOf(args[0]);
    long millis = Long.parseLong(args[1]);
    // 258 rows: the last matmul block has two rows (multiplyRows); 6 inputs: a 4 x 4 pass and two
    // 4 x 1 passes; 2048 columns: several tiles, as in a real model.
    int rows = 258;
    int cols = 2048;
    Random random = new Random(5);
    WeightMatrix m =
        WeightMatrix.of(
            type,
            TensorFixtures.nativeCopy(TensorFixtures.randomMatrix(type, rows, cols, random)),
            rows,
            cols);
    float[][] xs = new float[6][];
    float[][] outs = new float[6][rows];
    for (int k = 0; k < xs.length; k++) {
      xs[k] = TensorFixtures.randomVector(cols, random);
    }
    float sink = 0;
    long end = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 20; i++) {
        m.matvec(xs[0], outs[0], 0, rows);
        sink += outs[0][i];
      }
      m.matmul(xs, outs, 0, rows);
      sink += outs[5][rows - 1];
    }
    System.out.println(type + " " + sink);
  }
}

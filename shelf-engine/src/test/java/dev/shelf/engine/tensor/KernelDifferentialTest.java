package dev.shelf.engine.tensor;

import static dev.shelf.engine.tensor.TensorFixtures.nativeCopy;
import static dev.shelf.engine.tensor.TensorFixtures.randomMatrix;
import static dev.shelf.engine.tensor.TensorFixtures.randomVector;
import static dev.shelf.engine.tensor.TensorFixtures.same;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shelf.engine.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every type at every implementation (the scalar twin and the vector kernels at this JVM's width;
 * the build runs this class once per width, 128, 256 and 512 bits) against the reference, {@code
 * dequantizeRow} followed by a dot product in double, and against the scalar twin; the batched and
 * parallel kernels against the plain one, bit for bit.
 */
class KernelDifferentialTest {
  /** Tolerance relative to {@code sum |w_i x_i|}: float rounding over a few hundred terms. */
  private static final double RELATIVE = 1e-4;

  private static final Parallel THREE = new Parallel(3);

  @AfterAll
  static void close() {
    THREE.close();
  }

  /**
   * Shapes per type: rows not divisible by the thread count, rows spanning several blocks/tiles,
   * rows of an odd number of vectors with a scalar tail after them (115 elements) and, for
   * 32-element blocks, an odd number of blocks.
   */
  private static List<int[]> shapes(GgmlType type) {
    return switch (type.blockSize()) {
      case 1 ->
          List.of(
              new int[] {37, 525},
              new int[] {5, 13},
              new int[] {3, 3},
              new int[] {2, 256},
              new int[] {6, 115});
      case 32 -> List.of(new int[] {37, 352}, new int[] {5, 32}, new int[] {4, 512});
      default -> List.of(new int[] {37, 768}, new int[] {3, 256});
    };
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (GgmlType type : GgmlType.values()) {
      for (Simd simd : Simd.all()) {
        cases.add(Arguments.of(type, simd, false));
        if (simd.isVector()) {
          cases.add(Arguments.of(type, simd, true));
        }
      }
    }
    return cases.stream();
  }

  @Test
  void runsAtTheWidthTheBuildAsksFor() {
    String forced = System.getProperty(Simd.PROPERTY);
    if (forced != null && forced.matches("128|256|512")) {
      assertThat(Simd.vectorBits()).isEqualTo(Integer.parseInt(forced));
      assertThat(VectorLanes.SPECIES.vectorBitSize()).isEqualTo(Integer.parseInt(forced));
    }
    assertThat(VectorLanes.SPECIES.vectorBitSize()).isEqualTo(Simd.vectorBits());
  }

  @ParameterizedTest(name = "{0} {1} panels {2}")
  @MethodSource("cases")
  void matvecMatchesDequantizedDotAndScalarTwin(GgmlType type, Simd simd, boolean panels) {
    for (int[] shape : shapes(type)) {
      int rows = shape[0];
      int cols = shape[1];
      Random random = new Random(31L * type.ordinal() + cols);
      WeightMatrix matrix =
          matrix(type, randomMatrix(type, rows, cols, random), rows, cols, simd, panels);
      WeightMatrix scalar = matrix.withSimd(Simd.SCALAR);
      float[] x = randomVector(cols, random);
      float[] out = new float[rows];
      float[] twin = new float[rows];
      matrix.matvec(x, out, 0, rows);
      scalar.matvec(x, twin, 0, rows);
      float[] w = new float[cols];
      for (int r = 0; r < rows; r++) {
        matrix.dequantizeRow(r, w);
        double expected = 0;
        double magnitude = 0;
        for (int i = 0; i < cols; i++) {
          expected += (double) w[i] * x[i];
          magnitude += Math.abs((double) w[i] * x[i]);
        }
        double tolerance = RELATIVE * magnitude + 1e-30;
        String where = matrix + " row " + r;
        assertThat((double) out[r])
            .as(where + " vs reference")
            .isCloseTo(expected, within(tolerance));
        assertThat((double) out[r])
            .as(where + " vs scalar twin")
            .isCloseTo(twin[r], within(tolerance));
        assertThat(same(matrix.dot(r, x), out[r])).as(where + " dot").isTrue();
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} panels {2}")
  @MethodSource("cases")
  void matmulEqualsMatvecBitForBit(GgmlType type, Simd simd, boolean panels) {
    for (int[] shape : shapes(type)) {
      int rows = shape[0];
      int cols = shape[1];
      Random random = new Random(17L * type.ordinal() + cols);
      WeightMatrix matrix =
          matrix(type, randomMatrix(type, rows, cols, random), rows, cols, simd, panels);
      int n = 3;
      float[][] xs = new float[n][];
      float[][] outs = new float[n][rows];
      for (int k = 0; k < n; k++) {
        xs[k] = randomVector(cols, random);
      }
      matrix.matmul(xs, outs, 0, rows);
      float[][] parallel = new float[n][rows];
      matrix.matmul(xs, parallel, THREE);
      for (int k = 0; k < n; k++) {
        float[] single = new float[rows];
        matrix.matvec(xs[k], single, 0, rows);
        for (int r = 0; r < rows; r++) {
          String where = matrix + " input " + k + " row " + r;
          assertThat(same(outs[k][r], single[r]))
              .as(where + ": matmul " + outs[k][r] + " != matvec " + single[r])
              .isTrue();
          assertThat(same(parallel[k][r], single[r])).as(where + " parallel matmul").isTrue();
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} panels {2}")
  @MethodSource("cases")
  void vectorDequantizeReproducesDequantizeRowExactly(GgmlType type, Simd simd, boolean panels) {
    // the vector decoding of a vector matrix (a scalar one decodes no factors for it, and a paneled
    // one runs its panels' decoding, which matmulEqualsMatvecBitForBit covers)
    assumeTrue(simd.isVector() && !panels);
    int[] shape = shapes(type).get(0);
    int rows = shape[0];
    int cols = shape[1];
    WeightMatrix matrix =
        matrix(type, randomMatrix(type, rows, cols, new Random(5)), rows, cols, simd, panels);
    float[] expected = new float[cols];
    for (int r = 0; r < rows; r++) {
      matrix.dequantizeRow(r, expected);
      for (int col = 0; col < cols; col += WeightMatrix.TILE) {
        int len = Math.min(WeightMatrix.TILE, cols - col);
        float[] tile = new float[len + 3];
        long offset = r * matrix.rowBytes + (long) col / type.blockSize() * type.bytesPerBlock();
        matrix.dequantizeVector(offset, len, tile, 3);
        for (int i = 0; i < len; i++) {
          assertThat(Float.floatToRawIntBits(tile[3 + i]))
              .as(
                  matrix
                      + " row "
                      + r
                      + " col "
                      + (col + i)
                      + ": "
                      + tile[3 + i]
                      + " vs "
                      + expected[col + i])
              .isEqualTo(Float.floatToRawIntBits(expected[col + i]));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} panels {2}")
  @MethodSource("cases")
  void matmulOfManyInputsAndOddRowsEqualsMatvec(GgmlType type, Simd simd, boolean panels) {
    // 4 x 4 kernels, the 4 x 1 remainder (n = 7), and rows left over from blocks of 4 (rows = 11)
    int rows = 11;
    int cols = type.blockSize() == 256 ? 1280 : 1056; // more than one tile
    Random random = new Random(23);
    WeightMatrix matrix =
        matrix(type, randomMatrix(type, rows, cols, random), rows, cols, simd, panels);
    int n = 7;
    float[][] xs = new float[n][];
    float[][] outs = new float[n][rows];
    for (int k = 0; k < n; k++) {
      xs[k] = randomVector(cols, random);
    }
    matrix.matmul(xs, outs, THREE);
    for (int k = 0; k < n; k++) {
      float[] single = new float[rows];
      matrix.matvec(xs[k], single, 0, rows);
      for (int r = 0; r < rows; r++) {
        assertThat(same(outs[k][r], single[r]))
            .as(matrix + " input " + k + " row " + r + ": " + outs[k][r] + " vs " + single[r])
            .isTrue();
      }
    }
  }

  @ParameterizedTest(name = "{0} {1} panels {2}")
  @MethodSource("cases")
  void parallelMatvecEqualsSerialAndSubrangesLeaveOtherRows(
      GgmlType type, Simd simd, boolean panels) {
    int[] shape = shapes(type).get(0);
    int rows = shape[0];
    int cols = shape[1];
    Random random = new Random(99);
    WeightMatrix matrix =
        matrix(type, randomMatrix(type, rows, cols, random), rows, cols, simd, panels);
    float[] x = randomVector(cols, random);
    float[] serial = new float[rows];
    matrix.matvec(x, serial, 0, rows);
    float[] parallel = new float[rows];
    matrix.matvec(x, parallel, THREE);
    float[] sub = new float[rows];
    java.util.Arrays.fill(sub, Float.NaN);
    matrix.matvec(x, sub, 5, 11);
    for (int r = 0; r < rows; r++) {
      assertThat(same(parallel[r], serial[r])).as(matrix + " row " + r).isTrue();
      assertThat(same(sub[r], r >= 5 && r < 11 ? serial[r] : Float.NaN))
          .as(matrix + " subrange row " + r)
          .isTrue();
    }
  }

  /**
   * The matrix, or with {@code panels} the same weights in panels of about a third of its columns
   * (a whole number of blocks, the last panel narrower where they do not divide evenly).
   */
  private static WeightMatrix matrix(
      GgmlType type, byte[] bytes, int rows, int cols, Simd simd, boolean panels) {
    int blocks = cols / type.blockSize();
    int panel = panels ? type.blockSize() * Math.max(1, (blocks + 2) / 3) : cols;
    WeightMatrix matrix = WeightMatrix.of(type, nativeCopy(bytes), rows, cols, simd, panel);
    if (panels && panel < cols) {
      assertThat(matrix.panelWidths()).as(matrix.toString()).hasSizeGreaterThan(1);
    }
    return matrix;
  }

  private static org.assertj.core.data.Offset<Double> within(double tolerance) {
    return org.assertj.core.data.Offset.offset(tolerance);
  }
}

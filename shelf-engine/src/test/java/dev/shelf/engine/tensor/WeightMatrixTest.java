package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The view's contract: shapes, bounds and the implementation switch fail fast with the value. */
class WeightMatrixTest {

  @Test
  void theScalesDecodedAtLoadAreCounted() {
    // four floats per 64 weights: a 4096 x 4096 Q4_K matrix (9 MiB) takes 4 MiB beside its weights
    assertThat(WeightMatrix.decodedBytes(GgmlType.Q4_K, 4096L * 4096)).isEqualTo(4L << 20);
    assertThat(WeightMatrix.decodedBytes(GgmlType.Q5_K, 4096L * 4096))
        .isEqualTo(VectorLanes.LANES >= 8 ? 4L << 20 : 0);
    // a float per block of 32: 2 MiB beside Q4_0's 9 MiB and Q8_0's 17
    assertThat(WeightMatrix.decodedBytes(GgmlType.Q4_0, 4096L * 4096)).isEqualTo(2L << 20);
    assertThat(WeightMatrix.decodedBytes(GgmlType.Q8_0, 4096L * 4096)).isEqualTo(2L << 20);
    for (GgmlType other : new GgmlType[] {GgmlType.Q6_K, GgmlType.Q4_1, GgmlType.F16}) {
      assertThat(WeightMatrix.decodedBytes(other, 4096L * 4096)).as(other.name()).isZero();
    }
  }

  @Test
  void aMatrixDecodesWhatIsCountedAndTheScalarTwinNothing() {
    MemorySegment zeros = MemorySegment.ofArray(new byte[8 * 16 * 34]);
    for (GgmlType type :
        new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q4_0, GgmlType.Q8_0}) {
      WeightMatrix matrix = WeightMatrix.of(type, zeros, 8, 512);
      assertThat(matrix.decodedBytes())
          .as(type.name())
          .isEqualTo(matrix.simd().isVector() ? WeightMatrix.decodedBytes(type, 8 * 512) : 0);
      assertThat(matrix.withSimd(Simd.SCALAR).decodedBytes()).as(type.name()).isZero();
    }
  }

  @Test
  void aWideVectorMatrixRunsInPanelsOfItsColumnsUnlessTurnedOff() throws IOException {
    // 4096 + 1024 columns: panels of 2048, 2048 and 1024, the product the same up to rounding
    int rows = 6;
    int cols = WeightMatrix.PANEL_ABOVE + 1024;
    Random random = new Random(3);
    Simd vector = Simd.vector();
    long copiesBefore = panelCopies();
    for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q4_K}) {
      MemorySegment data =
          TensorFixtures.nativeCopy(TensorFixtures.randomMatrix(type, rows, cols, random));
      WeightMatrix wide = WeightMatrix.of(type, data, rows, cols, vector);
      assertThat(wide.panelWidths()).as(type.name()).containsExactly(2048, 2048, 1024);
      assertThat(wide.toString()).contains("3 panels");
      assertThat(wide.withSimd(Simd.SCALAR).panelWidths()).containsExactly(cols);
      WeightMatrix plain;
      System.setProperty(WeightMatrix.PANELS_PROPERTY, "false");
      try {
        plain = WeightMatrix.of(type, data, rows, cols, vector);
      } finally {
        System.clearProperty(WeightMatrix.PANELS_PROPERTY);
      }
      assertThat(plain.panelWidths()).containsExactly(cols);
      // the panels decode their own scales, as much as the plain matrix does
      assertThat(wide.decodedBytes()).as(type.name()).isEqualTo(plain.decodedBytes());
      float[] x = TensorFixtures.randomVector(cols, random);
      float[] paneled = new float[rows];
      float[] unpaneled = new float[rows];
      wide.matvec(x, paneled, 0, rows);
      plain.matvec(x, unpaneled, 0, rows);
      float[] w = new float[cols];
      for (int r = 0; r < rows; r++) {
        wide.dequantizeRow(r, w);
        double magnitude = 0;
        for (int i = 0; i < cols; i++) {
          magnitude += Math.abs((double) w[i] * x[i]);
        }
        assertThat((double) paneled[r])
            .as(type + " row " + r)
            .isCloseTo(unpaneled[r], org.assertj.core.data.Offset.offset(1e-4 * magnitude));
        assertThat(paneled[r]).isNotEqualTo(0f);
      }
    }
    // the copies' files are deleted as soon as they are mapped
    assertThat(panelCopies()).isEqualTo(copiesBefore);
  }

  private static long panelCopies() throws IOException {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files.filter(f -> f.getFileName().toString().startsWith("shelf-panels-")).count();
    }
  }

  @Test
  void simdPropertyValues() {
    assertThat(Simd.parse("false")).isEqualTo(Simd.SCALAR);
    assertThat(Simd.parse("scalar")).isEqualTo(Simd.SCALAR);
    assertThat(Simd.parse("256")).isEqualTo(Simd.vector(256));
    assertThat(Simd.parse(" 512 ")).isEqualTo(Simd.vector(512));
    assertThat(Simd.parse(null)).isEqualTo(Simd.preferred());
    assertThat(Simd.parse("true")).isEqualTo(Simd.preferred());
    assertThat(Simd.preferred().bits()).isIn(0, 128, 256, 512);
    assertThatThrownBy(() -> Simd.parse("fast"))
        .hasMessageContaining("shelf.simd")
        .hasMessageContaining("'fast'");
    assertThatThrownBy(() -> Simd.vector(64)).hasMessageContaining("but was 64");
  }

  @Test
  void defaultsFollowTheProperty() {
    assertThat(Simd.defaults()).isEqualTo(Simd.parse(System.getProperty(Simd.PROPERTY)));
    WeightMatrix matrix = WeightMatrix.of(GgmlType.F32, MemorySegment.ofArray(new byte[16]), 2, 2);
    assertThat(matrix.simd()).isEqualTo(Simd.defaults());
    assertThat(matrix.withSimd(Simd.SCALAR).simd()).isEqualTo(Simd.SCALAR);
  }

  @Test
  void theVectorWidthIsFixedPerJvm() {
    assertThat(Simd.vector().bits()).isEqualTo(Simd.vectorBits()).isIn(128, 256, 512);
    assertThat(Simd.all()).containsExactly(Simd.SCALAR, Simd.vector());
    int other = Simd.vectorBits() == 128 ? 256 : 128;
    assertThatThrownBy(
            () ->
                WeightMatrix.of(
                    GgmlType.F32, MemorySegment.ofArray(new byte[16]), 2, 2, Simd.vector(other)))
        .hasMessageContaining("at " + Simd.vectorBits() + " bits but vector" + other);
  }

  @Test
  void shapeErrorsNameTheValues() {
    MemorySegment small = MemorySegment.ofArray(new byte[100]);
    assertThatThrownBy(() -> WeightMatrix.of(GgmlType.Q4_0, small, 1, 48))
        .hasMessageContaining("multiple of the Q4_0 block size 32 but was 48");
    assertThatThrownBy(() -> WeightMatrix.of(GgmlType.Q8_0, small, 3, 32))
        .hasMessageContaining("needs 102 bytes but the segment has 100");
    assertThatThrownBy(() -> WeightMatrix.of(GgmlType.F32, small, -1, 4))
        .hasMessageContaining("-1 x 4");
  }

  @Test
  void boundsErrorsNameTheValues() {
    WeightMatrix matrix =
        WeightMatrix.of(
            GgmlType.Q4_K,
            MemorySegment.ofArray(
                TensorFixtures.randomMatrix(GgmlType.Q4_K, 4, 256, new Random(1))),
            4,
            256);
    assertThatThrownBy(() -> matrix.matvec(new float[256], new float[4], 2, 5))
        .hasMessageContaining("[2, 5)");
    assertThatThrownBy(() -> matrix.matvec(new float[255], new float[4], 0, 4))
        .hasMessageContaining("x needs at least 256 elements but has 255");
    assertThatThrownBy(() -> matrix.matvec(new float[256], new float[3], 0, 4))
        .hasMessageContaining("out needs at least 4");
    assertThatThrownBy(() -> matrix.matmul(new float[2][256], new float[1][4], 0, 4))
        .hasMessageContaining("2 inputs and 1 outputs");
    assertThatThrownBy(() -> matrix.dequantizeRow(4, new float[256]))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void emptyBatchAndEmptyRangeDoNothing() {
    WeightMatrix matrix =
        WeightMatrix.of(GgmlType.F32, MemorySegment.ofArray(new byte[32]), 2, 4, Simd.vector());
    matrix.matmul(new float[0][], new float[0][], 0, 2);
    float[] out = {7f, 7f};
    matrix.matvec(new float[4], out, 1, 1);
    assertThat(out).containsExactly(7f, 7f);
  }

  @Test
  void aTensorSliceOfALargerSegmentIsViewedInPlace() {
    // Two Q8_0 rows after 3 bytes of something else, as a tensor sits inside a mapped file.
    byte[] file = new byte[3 + 2 * 34];
    TensorFixtures.putF16(file, 3, 2f);
    file[3 + 2] = 5;
    TensorFixtures.putF16(file, 3 + 34, 1f);
    file[3 + 34 + 2 + 31] = -7;
    MemorySegment slice = MemorySegment.ofArray(file).asSlice(3, 2 * 34);
    for (Simd simd : Simd.all()) {
      WeightMatrix matrix = WeightMatrix.of(GgmlType.Q8_0, slice, 2, 32, simd);
      float[] x = new float[32];
      x[0] = 1f;
      x[31] = 1f;
      float[] out = new float[2];
      matrix.matvec(x, out, 0, 2);
      assertThat(out).as(simd.toString()).containsExactly(10f, -7f);
    }
  }
}

package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantizer round-trips through {@link WeightMatrix#dequantizeRow} (ggml's reference
 * decoding) within its format's step: half a step of the block's (or sub-block's) range, plus the
 * rounding of the sub-scales.
 */
class QuantizerTest {
  /** The largest error allowed, as a fraction of the largest magnitude in the block. */
  private static double tolerance(GgmlType type) {
    return switch (type) {
      case F32 -> 0;
      case F16 -> 1e-3;
      case BF16 -> 4e-3;
      case Q8_0 -> 0.5 / 127 + 1e-3;
      // the extreme of the other sign may clip to 15: a whole step
      case Q4_0 -> 1.0 / 8 + 1e-3;
      case Q4_1 -> 2 * 0.5 / 15 + 1e-2;
      case Q5_0 -> 1.0 / 16 + 1e-3;
      case Q5_1 -> 2 * 0.5 / 31 + 1e-2;
      // 4-bit steps of the sub-block's range (up to twice the magnitude), the min rounded to 6 bits
      case Q4_K -> 2 * 0.5 / 15 + 2.0 / 63;
      // 6-bit steps, the sub-scales rounded to 8 bits
      case Q6_K -> 0.5 / 32 + 2.0 / 128;
      // 5-bit steps of the sub-block's range, the min rounded to 6 bits
      case Q5_K -> 2 * 0.5 / 31 + 2.0 / 63;
    };
  }

  @ParameterizedTest
  @EnumSource(GgmlType.class)
  void roundTripsWithinAStep(GgmlType type) {
    int rows = 5;
    int cols = 512;
    Random random = new Random(type.ordinal());
    float[][] x = new float[rows][cols];
    MemorySegment data = Arena.ofAuto().allocate(type.byteSize(cols, rows), 64);
    long rowBytes = type.byteSize(cols);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) {
        // mixed magnitudes, an outlier per row, and a block of zeros
        x[r][i] = (float) (random.nextGaussian() * (r + 1) * 0.01);
      }
      x[r][7 + r] = 0.5f;
      java.util.Arrays.fill(x[r], 256, 256 + 32, 0f);
      Quantizer.quantize(type, x[r], 0, cols, data, r * rowBytes);
    }
    WeightMatrix m = WeightMatrix.of(type, data, rows, cols);
    float[] back = new float[cols];
    int block = Math.max(type.blockSize(), 32);
    for (int r = 0; r < rows; r++) {
      m.dequantizeRow(r, back);
      for (int b = 0; b < cols; b += block) {
        double amax = 0;
        for (int i = b; i < b + block; i++) {
          amax = Math.max(amax, Math.abs(x[r][i]));
        }
        for (int i = b; i < b + block; i++) {
          double limit =
              type.blockSize() == 1
                  ? tolerance(type) * Math.abs(x[r][i]) + 1e-7
                  : tolerance(type) * amax;
          assertThat((double) back[i])
              .as("%s row %d col %d", type, r, i)
              .isCloseTo(x[r][i], org.assertj.core.data.Offset.offset(limit + 1e-12));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(GgmlType.class)
  void aMatrixOfQuantizedRowsMultipliesLikeTheOriginalFloats(GgmlType type) {
    int rows = 8;
    int cols = 1024;
    Random random = new Random(42);
    float[][] w = new float[rows][cols];
    MemorySegment data = Arena.ofAuto().allocate(type.byteSize(cols, rows), 64);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) {
        w[r][i] = (float) random.nextGaussian() * 0.02f;
      }
      Quantizer.quantize(type, w[r], 0, cols, data, r * type.byteSize(cols));
    }
    float[] x = TensorFixtures.randomVector(cols, random);
    float[] out = new float[rows];
    WeightMatrix.of(type, data, rows, cols).matvec(x, out, 0, rows);
    for (int r = 0; r < rows; r++) {
      double exact = 0;
      double norm = 0;
      for (int i = 0; i < cols; i++) {
        exact += (double) w[r][i] * x[i];
        norm += Math.abs((double) w[r][i] * x[i]);
      }
      // quantisation noise adds up like a random walk: well under a tenth of sum |w x|
      assertThat((double) out[r])
          .as("%s row %d", type, r)
          .isCloseTo(exact, org.assertj.core.data.Offset.offset(0.1 * norm));
    }
  }

  @org.junit.jupiter.api.Test
  void q8_0IsGgmlsReferenceBitForBit() {
    Random random = new Random(3);
    float[] x = TensorFixtures.randomVector(64, random);
    MemorySegment ours = Arena.ofAuto().allocate(GgmlType.Q8_0.byteSize(64));
    Quantizer.quantize(GgmlType.Q8_0, x, 0, 64, ours, 0);
    // quantize_row_q8_0_ref: d = amax / 127, q = roundf(x / d)
    byte[] reference = new byte[68];
    for (int b = 0; b < 2; b++) {
      float amax = 0f;
      for (int i = 0; i < 32; i++) {
        amax = Math.max(amax, Math.abs(x[32 * b + i]));
      }
      float d = amax / 127f;
      float id = d != 0f ? 1f / d : 0f;
      short h = Float.floatToFloat16(d);
      reference[34 * b] = (byte) h;
      reference[34 * b + 1] = (byte) (h >> 8);
      for (int i = 0; i < 32; i++) {
        float v = x[32 * b + i] * id;
        reference[34 * b + 2 + i] = (byte) Math.copySign(Math.round(Math.abs(v)), v);
      }
    }
    assertThat(ours.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(reference);
  }

  @ParameterizedTest
  @EnumSource(value = GgmlType.class, names = "Q4_0")
  void partialBlocksAreRefused(GgmlType type) {
    MemorySegment out = Arena.ofAuto().allocate(64);
    assertThatThrownBy(() -> Quantizer.quantize(type, new float[48], 0, 48, out, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("48 values");
  }
}

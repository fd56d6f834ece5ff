package dev.shelf.engine.tensor;

import static dev.shelf.engine.tensor.TensorFixtures.putF16;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Blocks built by hand, byte by byte as ggml lays them out ({@code ggml-common.h}), with the values
 * {@code dequantize_row_*} gives for them worked out by hand. Each is checked through {@code
 * dequantizeRow} and, for rows without Inf or NaN, through {@code dot} with one-hot inputs at every
 * implementation ({@link HalfConversionTest} covers the vector widening of the special values).
 */
class DequantizeKnownValuesTest {

  /**
   * Packed scales of the K-quant tests, worked out by hand from {@link #SCALES} and {@link #MINS}.
   */
  private static final byte[] PACKED_SCALES =
      bytes(65, 130, 195, 196, 64, 129, 194, 195, 65, 129, 32, 255);

  private static final int[] SCALES = {1, 2, 3, 4, 17, 33, 48, 63};
  private static final int[] MINS = {0, 1, 2, 3, 20, 40, 50, 63};

  @Test
  void f32() {
    byte[] block = new byte[8];
    ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1.5f).putFloat(4, -0x1p-140f);
    check(GgmlType.F32, block, 2, new float[] {1.5f, -0x1p-140f});
  }

  @Test
  void f16IncludingSubnormalsInfinitiesAndNaN() {
    short[] halves = {
      0x3C00,
      (short) 0xC000,
      0x0001,
      0x03FF,
      0x0400,
      0x7BFF,
      0x3555,
      (short) 0x8000,
      0x7C00,
      (short) 0xFC00,
      0x7E00,
      (short) 0x8001
    };
    float[] expected = {
      1f,
      -2f,
      0x1p-24f,
      1023 * 0x1p-24f,
      0x1p-14f,
      65504f,
      0.333251953125f,
      -0f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      Float.NaN,
      -0x1p-24f
    };
    check(GgmlType.F16, shorts(halves), halves.length, expected);
  }

  @Test
  void bf16IncludingSubnormalsInfinitiesAndNaN() {
    short[] halves = {
      0x3F80,
      (short) 0xC040,
      0x0001,
      0x007F,
      0x7F7F,
      (short) 0x8000,
      0x7F80,
      (short) 0xFF80,
      0x7FC0,
      0x3EAB
    };
    float[] expected = {
      1f,
      -3f,
      0x1p-133f,
      127 * 0x1p-133f,
      Float.intBitsToFloat(0x7F7F0000),
      -0f,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      Float.NaN,
      0.333984375f
    };
    check(GgmlType.BF16, shorts(halves), halves.length, expected);
  }

  @Test
  void q8_0() {
    byte[] block = new byte[34];
    putF16(block, 0, 0.5f);
    float[] expected = new float[32];
    for (int j = 0; j < 32; j++) {
      int q = j * 8 - 128; // -128, -120, ..., 120
      block[2 + j] = (byte) q;
      expected[j] = q * 0.5f;
    }
    check(GgmlType.Q8_0, block, 32, expected);
  }

  @Test
  void q4_0LowNibblesFirstWithOffsetEight() {
    byte[] block = new byte[18];
    putF16(block, 0, 0.5f);
    float[] expected = new float[32];
    for (int j = 0; j < 16; j++) {
      block[2 + j] = (byte) (j | (15 - j) << 4);
      expected[j] = (j - 8) * 0.5f; // -4.0 .. 3.5
      expected[j + 16] = (7 - j) * 0.5f; // 3.5 .. -4.0
    }
    check(GgmlType.Q4_0, block, 32, expected);
  }

  @Test
  void q4_1ScaleAndMin() {
    byte[] block = new byte[20];
    putF16(block, 0, 0.25f);
    putF16(block, 2, -1f);
    float[] expected = new float[32];
    for (int j = 0; j < 16; j++) {
      block[4 + j] = (byte) (j | (15 - j) << 4);
      expected[j] = j * 0.25f - 1f;
      expected[j + 16] = (15 - j) * 0.25f - 1f;
    }
    check(GgmlType.Q4_1, block, 32, expected);
  }

  /** Fifth bits with every pattern of neighbours: bit {@code j} is element {@code j}'s. */
  private static final int QH = 0xA5C3_0F96;

  @Test
  void q5_0FifthBitsFromTheWordAboveTheNibblesWithOffsetSixteen() {
    byte[] block = new byte[22];
    putF16(block, 0, 0.5f);
    ByteBuffer.wrap(block, 2, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(QH);
    float[] expected = new float[32];
    for (int j = 0; j < 16; j++) {
      block[6 + j] = (byte) (j | (15 - j) << 4);
      expected[j] = (j + 16 * ((QH >>> j) & 1) - 16) * 0.5f; // -8.0 .. 7.5
      expected[j + 16] = (15 - j + 16 * ((QH >>> (j + 16)) & 1) - 16) * 0.5f;
    }
    assertThat(expected[1]).as("element 1: nibble 1, fifth bit 1").isEqualTo(0.5f);
    assertThat(expected[16]).as("element 16: nibble 15, fifth bit 1").isEqualTo(7.5f);
    assertThat(expected[18]).as("element 18: nibble 13, fifth bit 0").isEqualTo(-1.5f);
    check(GgmlType.Q5_0, block, 32, expected);
  }

  @Test
  void q5_1ScaleMinAndFifthBits() {
    byte[] block = new byte[24];
    putF16(block, 0, 0.25f);
    putF16(block, 2, -1f);
    ByteBuffer.wrap(block, 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(QH);
    float[] expected = new float[32];
    for (int j = 0; j < 16; j++) {
      block[8 + j] = (byte) (j | (15 - j) << 4);
      expected[j] = (j + 16 * ((QH >>> j) & 1)) * 0.25f - 1f;
      expected[j + 16] = (15 - j + 16 * ((QH >>> (j + 16)) & 1)) * 0.25f - 1f;
    }
    assertThat(expected[31]).as("element 31: nibble 0, fifth bit 1").isEqualTo(3f);
    check(GgmlType.Q5_1, block, 32, expected);
  }

  @Test
  void q4KSixBitScalesAndMins() {
    byte[] block = new byte[144];
    putF16(block, 0, 1f);
    putF16(block, 2, 0.5f);
    System.arraycopy(PACKED_SCALES, 0, block, 4, 12);
    float[] expected = new float[256];
    for (int j = 0; j < 4; j++) {
      for (int l = 0; l < 32; l++) {
        int lo = l % 16;
        int hi = 15 - l % 16;
        block[16 + 32 * j + l] = (byte) (lo | hi << 4);
        expected[64 * j + l] = SCALES[2 * j] * lo - 0.5f * MINS[2 * j];
        expected[64 * j + 32 + l] = SCALES[2 * j + 1] * hi - 0.5f * MINS[2 * j + 1];
      }
    }
    check(GgmlType.Q4_K, block, 256, expected);
  }

  @Test
  void q5KFifthBitFromQh() {
    byte[] block = new byte[176];
    putF16(block, 0, 1f);
    putF16(block, 2, 0.5f);
    System.arraycopy(PACKED_SCALES, 0, block, 4, 12);
    // qh[l] has bit g set when (l + g) is odd: sub-block g's element l gets +16 then.
    for (int l = 0; l < 32; l++) {
      block[16 + l] = (byte) (l % 2 == 0 ? 0xAA : 0x55);
    }
    float[] expected = new float[256];
    for (int j = 0; j < 4; j++) {
      for (int l = 0; l < 32; l++) {
        int lo = l % 16;
        int hi = 15 - l % 16;
        block[48 + 32 * j + l] = (byte) (lo | hi << 4);
        int g0 = 2 * j;
        int g1 = 2 * j + 1;
        int q0 = lo + ((l + g0) % 2 == 1 ? 16 : 0);
        int q1 = hi + ((l + g1) % 2 == 1 ? 16 : 0);
        expected[64 * j + l] = SCALES[g0] * q0 - 0.5f * MINS[g0];
        expected[64 * j + 32 + l] = SCALES[g1] * q1 - 0.5f * MINS[g1];
      }
    }
    check(GgmlType.Q5_K, block, 256, expected);
  }

  @Test
  void q6KLowNibblesHighBitsAndSignedScales() {
    byte[] block = new byte[210];
    // Every ql byte: low nibble 1, high nibble 2. Every qh byte: bits 0-1 = 0, 2-3 = 1, 4-5 = 2,
    // 6-7 = 3. So in each half of 128: elements 0-31 are 1-32, 32-63 are (1|1<<4)-32,
    // 64-95 are (2|2<<4)-32, 96-127 are (2|3<<4)-32.
    for (int i = 0; i < 128; i++) {
      block[i] = 0x21;
    }
    for (int i = 0; i < 64; i++) {
      block[128 + i] = (byte) 0b11100100;
    }
    for (int g = 0; g < 16; g++) {
      block[192 + g] = (byte) (g - 8); // scale of elements 16g .. 16g+15
    }
    putF16(block, 208, 0.5f);
    int[] quarter = {-31, -15, 2, 18};
    float[] expected = new float[256];
    for (int e = 0; e < 256; e++) {
      expected[e] = 0.5f * (e / 16 - 8) * quarter[(e % 128) / 32];
    }
    check(GgmlType.Q6_K, block, 256, expected);
  }

  /** One row of {@code block}: dequantized exactly, and each element recovered by one-hot dots. */
  private static void check(GgmlType type, byte[] block, int cols, float[] expected) {
    for (Simd simd : Simd.all()) {
      WeightMatrix matrix = WeightMatrix.of(type, MemorySegment.ofArray(block), 1, cols, simd);
      float[] row = new float[cols];
      matrix.dequantizeRow(0, row);
      // Rows holding Inf or NaN cannot be probed with one-hot dots (0 * Inf is NaN).
      boolean allFinite = true;
      for (float value : expected) {
        allFinite &= Float.isFinite(value);
      }
      for (int i = 0; i < cols; i++) {
        assertThat(Float.floatToIntBits(row[i]))
            .as(type + " element " + i + " is " + row[i] + ", expected " + expected[i])
            .isEqualTo(Float.floatToIntBits(expected[i]));
        if (allFinite) {
          float[] oneHot = new float[cols];
          oneHot[i] = 1f;
          float dot = matrix.dot(0, oneHot);
          assertThat(dot).as(matrix + " one-hot " + i).isEqualTo(expected[i] + 0f);
        }
      }
    }
  }

  private static byte[] shorts(short[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (short value : values) {
      buffer.putShort(value);
    }
    return buffer.array();
  }

  private static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }
}

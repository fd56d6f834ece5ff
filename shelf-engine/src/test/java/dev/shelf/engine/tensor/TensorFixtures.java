package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/** Builds weight bytes for the kernel tests. */
final class TensorFixtures {
  private TensorFixtures() {}

  /** The f16 bits of {@code value}, little-endian, at {@code at}. */
  static void putF16(byte[] bytes, int at, float value) {
    short bits = Float.floatToFloat16(value);
    bytes[at] = (byte) bits;
    bytes[at + 1] = (byte) (bits >> 8);
  }

  /**
   * A random {@code rows x cols} matrix of {@code type}: every quant byte random (all bit patterns
   * are valid quants and 6-bit scales), the f16 scales small and finite, floats roughly unit.
   */
  static byte[] randomMatrix(GgmlType type, int rows, int cols, Random random) {
    byte[] bytes = new byte[Math.toIntExact(type.byteSize(cols, rows))];
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int elements = rows * cols;
    switch (type) {
      case F32 -> {
        for (int i = 0; i < elements; i++) {
          buffer.putFloat(4 * i, (float) random.nextGaussian());
        }
      }
      case F16 -> {
        for (int i = 0; i < elements; i++) {
          buffer.putShort(2 * i, Float.floatToFloat16((float) random.nextGaussian()));
        }
      }
      case BF16 -> {
        for (int i = 0; i < elements; i++) {
          float value = (float) random.nextGaussian();
          buffer.putShort(2 * i, (short) (Float.floatToRawIntBits(value) >>> 16));
        }
      }
      default -> {
        random.nextBytes(bytes);
        int blocks = elements / type.blockSize();
        for (int b = 0; b < blocks; b++) {
          int block = b * type.bytesPerBlock();
          float d = 0.001f + 0.05f * random.nextFloat();
          float other = 0.001f + 0.05f * random.nextFloat();
          switch (type) {
            case Q8_0, Q4_0, Q5_0 -> putF16(bytes, block, d);
            case Q4_1, Q5_1 -> {
              putF16(bytes, block, d);
              putF16(bytes, block + 2, -8 * other);
            }
            case Q4_K, Q5_K -> {
              putF16(bytes, block, d);
              putF16(bytes, block + 2, other);
            }
            case Q6_K -> putF16(bytes, block + 208, d);
            default -> throw new AssertionError(type);
          }
        }
      }
    }
    return bytes;
  }

  /** {@code bytes} copied off-heap into a segment of exactly that size, as a mapped file is. */
  static MemorySegment nativeCopy(byte[] bytes) {
    MemorySegment segment = Arena.ofAuto().allocate(bytes.length, 64);
    MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
    return segment.asReadOnly();
  }

  static float[] randomVector(int n, Random random) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  /** Floats equal as values ({@code -0 == 0}), or both NaN. */
  static boolean same(float a, float b) {
    return a == b || (Float.isNaN(a) && Float.isNaN(b));
  }
}

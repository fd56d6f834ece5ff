package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * {@code block_q8_0} (34 bytes per 32 elements): an f16 scale {@code d}, then 32 int8 quants;
 * {@code w[i] = q[i] * d}.
 */
final class Q8_0Matrix extends WeightMatrix {
  private static final int QK = 32;
  private static final int BYTES = 34;
  private static final int QS = 2;

  /**
   * Each block's scale {@code d}, widened once ({@link WeightMatrix#blockScales}), for the vector
   * kernels; the scalar twin reads the halves in place, so a scalar matrix has none.
   */
  private final float[] scales;

  Q8_0Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q8_0, data, rows, cols, simd, panels);
    this.scales = blockScales(BYTES);
  }

  @Override
  long factorBytes() {
    return (long) scales.length * Float.BYTES;
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      for (int j = 0; j < QK; j++) {
        out[at + b * QK + j] = Bytes.s8(data, block + QS + j) * d;
      }
    }
  }

  private FloatVector quants(long block, int e) {
    return VectorLanes.widen(VectorLanes.bytes(data, block + QS, e), e);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    long block = offset;
    int f = (int) (offset / BYTES);
    for (int y = at; y < at + elements; y += QK, block += BYTES, f++) {
      FloatVector d = FloatVector.broadcast(s, scales[f]);
      for (int e = 0; e < QK; e += s.length()) {
        quants(block, e).mul(d).intoArray(out, y + e);
      }
    }
  }

  @Override
  void dotRows(float[] x, float[] out, int rowStart, int rowEnd, float[] scratch) {
    for (int r = rowStart; r < rowEnd; r++) {
      out[r] = dotVector(r * rowBytes, x, scratch);
    }
  }

  @Override
  float dotVector(long offset, float[] x, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int l = s.length();
    FloatVector even = FloatVector.zero(s);
    FloatVector odd = FloatVector.zero(s);
    // x's index counts the loop and the block's offset goes beside it (see Q4_0Matrix).
    long block = offset;
    int f = (int) (offset / BYTES);
    for (int i = 0; i < cols; i += QK, block += BYTES, f++) {
      FloatVector d = FloatVector.broadcast(s, scales[f]);
      for (int e = 0; e < QK; e += 2 * l) {
        even = quants(block, e).mul(d).fma(FloatVector.fromArray(s, x, i + e), even);
        odd = quants(block, e + l).mul(d).fma(FloatVector.fromArray(s, x, i + e + l), odd);
      }
    }
    return VectorLanes.sum(even, odd);
  }
}

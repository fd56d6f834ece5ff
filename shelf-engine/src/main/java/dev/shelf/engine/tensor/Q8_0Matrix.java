package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code block_q8_0} (34 bytes per 32 elements): an f16 scale {@code d}, then 32 int8 quants;
 * {@code w[i] = q[i] * d}.
 */
final class Q8_0Matrix extends WeightMatrix {
  private static final int QK = 32;
  private static final int BYTES = 34;
  private static final int QS = 2;

  Q8_0Matrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.Q8_0, data, rows, cols, simd);
  }

  @Override
  int groupSize() {
    return QK;
  }

  @Override
  void dequantize(long offset, float[] out) {
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      for (int j = 0; j < QK; j++) {
        out[b * QK + j] = Bytes.s8(data, block + QS + j) * d;
      }
    }
  }

  @Override
  float dotScalar(long offset, float[] x, float[] groupSums) {
    float acc = 0f;
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      float sum = 0f;
      for (int j = 0; j < QK; j++) {
        sum += Bytes.s8(data, block + QS + j) * x[b * QK + j];
      }
      acc += sum * Bytes.f16(data, block);
    }
    return acc;
  }

  @Override
  float dotVector(long offset, float[] x, float[] groupSums, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    FloatVector acc = FloatVector.zero(s);
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      FloatVector sum = FloatVector.zero(s);
      for (int e = 0; e < QK; e += s.length()) {
        sum = quants(block, e).fma(FloatVector.fromArray(s, x, b * QK + e), sum);
      }
      acc = VectorLanes.scaled(sum, Bytes.f16(data, block), acc);
    }
    return VectorLanes.sum(acc, scratch);
  }

  @Override
  void decode(long offset, int elements, float[] q, float[] scales, float[] mins, boolean vector) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      scales[b] = Bytes.f16(data, block);
      if (vector) {
        for (int e = 0; e < QK; e += s.length()) {
          quants(block, e).intoArray(q, b * QK + e);
        }
      } else {
        for (int j = 0; j < QK; j++) {
          q[b * QK + j] = Bytes.s8(data, block + QS + j);
        }
      }
    }
  }

  private FloatVector quants(long block, int e) {
    return VectorLanes.widen(VectorLanes.bytes(data, block + QS, e), e);
  }
}

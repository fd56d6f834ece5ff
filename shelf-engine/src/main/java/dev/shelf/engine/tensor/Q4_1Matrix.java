package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code block_q4_1} (20 bytes per 32 elements): f16 scale {@code d}, f16 min {@code m}, then 16
 * bytes of nibbles laid out as in Q4_0; {@code w = nibble * d + m}, so a block's dot product is
 * {@code d * (q . x) + m * sum(x)}.
 */
final class Q4_1Matrix extends WeightMatrix {
  private static final int QK = 32;
  private static final int BYTES = 20;
  private static final int M = 2;
  private static final int QS = 4;

  Q4_1Matrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.Q4_1, data, rows, cols, simd);
  }

  @Override
  int groupSize() {
    return QK;
  }

  @Override
  boolean hasMins() {
    return true;
  }

  @Override
  void dequantize(long offset, float[] out) {
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      float m = Bytes.f16(data, block + M);
      for (int j = 0; j < QK / 2; j++) {
        int bits = Bytes.u8(data, block + QS + j);
        int x0 = bits & 0x0F;
        int x1 = bits >> 4;
        out[b * QK + j] = x0 * d + m;
        out[b * QK + j + QK / 2] = x1 * d + m;
      }
    }
  }

  private int quant(long block, int e) {
    int bits = Bytes.u8(data, block + QS + (e & 15));
    return e < 16 ? bits & 0x0F : bits >> 4;
  }

  private FloatVector quants(long block, int e) {
    ByteVector bits = VectorLanes.bytes(data, block + QS, e & 15);
    return VectorLanes.widen(e < 16 ? VectorLanes.low(bits) : VectorLanes.high(bits), e & 15);
  }

  @Override
  float dotScalar(long offset, float[] x, float[] groupSums) {
    float acc = 0f;
    float mins = 0f;
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      float sum = 0f;
      for (int e = 0; e < QK; e++) {
        sum += quant(block, e) * x[b * QK + e];
      }
      acc += sum * Bytes.f16(data, block);
      mins += Bytes.f16(data, block + M) * groupSums[b];
    }
    return acc + mins;
  }

  @Override
  float dotVector(long offset, float[] x, float[] groupSums, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    FloatVector acc = FloatVector.zero(s);
    float mins = 0f;
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      FloatVector sum = FloatVector.zero(s);
      for (int e = 0; e < QK; e += s.length()) {
        sum = quants(block, e).fma(FloatVector.fromArray(s, x, b * QK + e), sum);
      }
      acc = VectorLanes.scaled(sum, Bytes.f16(data, block), acc);
      mins += Bytes.f16(data, block + M) * groupSums[b];
    }
    return VectorLanes.sum(acc, scratch) + mins;
  }

  @Override
  void decode(long offset, int elements, float[] q, float[] scales, float[] mins, boolean vector) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      scales[b] = Bytes.f16(data, block);
      mins[b] = Bytes.f16(data, block + M);
      if (vector) {
        for (int e = 0; e < QK; e += s.length()) {
          quants(block, e).intoArray(q, b * QK + e);
        }
      } else {
        for (int e = 0; e < QK; e++) {
          q[b * QK + e] = quant(block, e);
        }
      }
    }
  }
}

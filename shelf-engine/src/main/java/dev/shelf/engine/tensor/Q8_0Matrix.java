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
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      FloatVector d = FloatVector.broadcast(s, Bytes.f16(data, block));
      for (int e = 0; e < QK; e += s.length()) {
        quants(block, e).mul(d).intoArray(out, at + b * QK + e);
      }
    }
  }

  @Override
  float dotVector(long offset, float[] x, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    FloatVector acc = FloatVector.zero(s);
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      FloatVector d = FloatVector.broadcast(s, Bytes.f16(data, block));
      for (int e = 0; e < QK; e += s.length()) {
        acc = quants(block, e).mul(d).fma(FloatVector.fromArray(s, x, b * QK + e), acc);
      }
    }
    return VectorLanes.sum(acc, scratch);
  }

  @Override
  void dotVector2(long offsetA, long offsetB, float[] x, float[] scratch, float[] out, int r) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    FloatVector accA = FloatVector.zero(s);
    FloatVector accB = FloatVector.zero(s);
    for (int b = 0; b < cols / QK; b++) {
      long blockA = offsetA + (long) b * BYTES;
      long blockB = offsetB + (long) b * BYTES;
      FloatVector dA = FloatVector.broadcast(s, Bytes.f16(data, blockA));
      FloatVector dB = FloatVector.broadcast(s, Bytes.f16(data, blockB));
      for (int e = 0; e < QK; e += s.length()) {
        FloatVector v = FloatVector.fromArray(s, x, b * QK + e);
        accA = quants(blockA, e).mul(dA).fma(v, accA);
        accB = quants(blockB, e).mul(dB).fma(v, accB);
      }
    }
    out[r] = VectorLanes.sum(accA, scratch);
    out[r + 1] = VectorLanes.sum(accB, scratch);
  }
}

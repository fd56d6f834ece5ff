package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code block_q4_0} (18 bytes per 32 elements): an f16 scale {@code d}, then 16 bytes of nibbles;
 * element {@code j < 16} is the low nibble of byte {@code j}, element {@code j + 16} its high
 * nibble; {@code w = (nibble - 8) * d}.
 */
final class Q4_0Matrix extends WeightMatrix {
  private static final int QK = 32;
  private static final int BYTES = 18;
  private static final int QS = 2;

  Q4_0Matrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.Q4_0, data, rows, cols, simd);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      for (int j = 0; j < QK / 2; j++) {
        int bits = Bytes.u8(data, block + QS + j);
        int x0 = (bits & 0x0F) - 8;
        int x1 = (bits >> 4) - 8;
        out[at + b * QK + j] = x0 * d;
        out[at + b * QK + j + QK / 2] = x1 * d;
      }
    }
  }

  private FloatVector quants(long block, int e) {
    ByteVector bits = VectorLanes.bytes(data, block + QS, e & 15);
    ByteVector nibbles = e < 16 ? VectorLanes.low(bits) : VectorLanes.highByWords(bits);
    return VectorLanes.widen(nibbles.sub((byte) 8), e & 15);
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
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      FloatVector d = FloatVector.broadcast(s, Bytes.f16(data, block));
      for (int e = 0; e < QK; e += 2 * l) {
        even = quants(block, e).mul(d).fma(FloatVector.fromArray(s, x, b * QK + e), even);
        odd = quants(block, e + l).mul(d).fma(FloatVector.fromArray(s, x, b * QK + e + l), odd);
      }
    }
    return VectorLanes.sum(even, odd);
  }
}

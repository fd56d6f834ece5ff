package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

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

  Q4_1Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q4_1, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      float m = Bytes.f16(data, block + M);
      for (int j = 0; j < QK / 2; j++) {
        int bits = Bytes.u8(data, block + QS + j);
        int x0 = bits & 0x0F;
        int x1 = bits >> 4;
        out[at + b * QK + j] = x0 * d + m;
        out[at + b * QK + j + QK / 2] = x1 * d + m;
      }
    }
  }

  private FloatVector quants(long block, int e) {
    ByteVector bits = VectorLanes.bytes(data, block + QS, e & 15);
    return VectorLanes.widen(
        e < 16 ? VectorLanes.low(bits) : VectorLanes.highByWords(bits), e & 15);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      FloatVector d = FloatVector.broadcast(s, Bytes.f16(data, block));
      FloatVector m = FloatVector.broadcast(s, Bytes.f16(data, block + M));
      for (int e = 0; e < QK; e += s.length()) {
        quants(block, e).fma(d, m).intoArray(out, at + b * QK + e);
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
      FloatVector m = FloatVector.broadcast(s, Bytes.f16(data, block + M));
      for (int e = 0; e < QK; e += 2 * l) {
        even = quants(block, e).fma(d, m).fma(FloatVector.fromArray(s, x, b * QK + e), even);
        odd = quants(block, e + l).fma(d, m).fma(FloatVector.fromArray(s, x, b * QK + e + l), odd);
      }
    }
    if (VectorLanes.LANES == 4) {
      // At 128 bits the byte-lane decoding above takes this compilation past C2's inlining
      // cutoff, where the tree's helpers would be left out and the vectors boxed: the kernel
      // stores the lanes itself and adds them in the same order.
      even.add(odd).intoArray(scratch, 0);
      return VectorLanes.sumLanes(scratch);
    }
    return VectorLanes.sum(even, odd);
  }
}

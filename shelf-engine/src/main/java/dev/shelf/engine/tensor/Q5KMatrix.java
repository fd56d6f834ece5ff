package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code block_q5_K} (176 bytes per 256 elements): f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * scales and mins packed as in Q4_K, 32 bytes {@code qh} of fifth bits, then 128 bytes of nibbles
 * laid out as in Q4_K. The fifth bit of element {@code l} of sub-block {@code g} is bit {@code g}
 * of {@code qh[l]}; {@code w = d * scale * (nibble + 16 * bit) - dmin * min}.
 */
final class Q5KMatrix extends WeightMatrix {
  private static final int QK = 256;
  private static final int GROUP = 32;
  private static final int BYTES = 176;
  private static final int DMIN = 2;
  private static final int SCALES = 4;
  private static final int QH = 16;
  private static final int QS = 48;

  Q5KMatrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.Q5_K, data, rows, cols, simd);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      float min = Bytes.f16(data, block + DMIN);
      int y = at + b * QK;
      for (int j = 0; j < QK / 64; j++) {
        float d1 = d * Q4KMatrix.scale(data, block + SCALES, 2 * j);
        float m1 = min * Q4KMatrix.min(data, block + SCALES, 2 * j);
        float d2 = d * Q4KMatrix.scale(data, block + SCALES, 2 * j + 1);
        float m2 = min * Q4KMatrix.min(data, block + SCALES, 2 * j + 1);
        long ql = block + QS + 32L * j;
        int u1 = 1 << (2 * j);
        int u2 = 2 << (2 * j);
        for (int l = 0; l < 32; l++) {
          int high = (Bytes.u8(data, block + QH + l) & u1) != 0 ? 16 : 0;
          out[y++] = d1 * ((Bytes.u8(data, ql + l) & 0x0F) + high) - m1;
        }
        for (int l = 0; l < 32; l++) {
          int high = (Bytes.u8(data, block + QH + l) & u2) != 0 ? 16 : 0;
          out[y++] = d2 * ((Bytes.u8(data, ql + l) >> 4) + high) - m2;
        }
      }
    }
  }

  private FloatVector quants(long block, int e) {
    int at = 32 * (e >> 6) + (e & 31);
    ByteVector bits = VectorLanes.bytes(data, block + QS, at);
    ByteVector nibbles = (e & 32) == 0 ? VectorLanes.low(bits) : VectorLanes.high(bits);
    ByteVector high = VectorLanes.bytes(data, block + QH, e & 31);
    return VectorLanes.widen(nibbles.or(VectorLanes.field(high, e >> 5, 1, 4)), at);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    float[] sm = new float[16];
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      Q4KMatrix.scales(data, block, sm, 0);
      for (int g = 0; g < QK / GROUP; g++) {
        FloatVector d = FloatVector.broadcast(s, sm[g]);
        FloatVector m = FloatVector.broadcast(s, sm[8 + g]);
        for (int e = g * GROUP; e < (g + 1) * GROUP; e += s.length()) {
          quants(block, e).fma(d, m).intoArray(out, at + b * QK + e);
        }
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
      // The block's scales and mins decoded once, as Q4_K does: decoded per group, their scalar
      // code made the compiled kernel too big for C2 to inline its lane sum.
      Q4KMatrix.scales(data, block, scratch, l);
      for (int g = 0; g < QK / GROUP; g++) {
        FloatVector d = FloatVector.broadcast(s, scratch[l + g]);
        FloatVector m = FloatVector.broadcast(s, scratch[l + 8 + g]);
        for (int e = g * GROUP; e < (g + 1) * GROUP; e += 2 * l) {
          int i = b * QK + e;
          even = quants(block, e).fma(d, m).fma(FloatVector.fromArray(s, x, i), even);
          odd = quants(block, e + l).fma(d, m).fma(FloatVector.fromArray(s, x, i + l), odd);
        }
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

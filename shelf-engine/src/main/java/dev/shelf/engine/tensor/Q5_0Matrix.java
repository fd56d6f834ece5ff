package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * {@code block_q5_0} (22 bytes per 32 elements): an f16 scale {@code d}, a little-endian 32-bit
 * word {@code qh} of fifth bits, then 16 bytes of nibbles laid out as in Q4_0; element {@code j}'s
 * fifth bit is bit {@code j} of {@code qh}, and {@code w = (nibble + 16 * bit - 16) * d}. llama.cpp
 * writes it where a Q4_K_M file's rows are not a whole number of 256-element blocks (a Qwen2.5
 * 0.5B's 896 columns, a SmolLM2's 576 or 960). At 512 bits a block is one vector of low nibbles and
 * one of high ones, each weight looked up in the block's table of 32 ({@link
 * VectorLanes#lookUp(FloatVector, FloatVector, IntVector)}), as Q5_K's are.
 */
final class Q5_0Matrix extends WeightMatrix {
  static final int QK = 32;
  private static final int BYTES = 22;
  private static final int QH = 2;
  private static final int QS = 6;

  /** {@code k - 16} in lane {@code k}: the lower half of a block's table of 32 levels. */
  private static final FloatVector LOWER =
      FloatVector.fromArray(
          VectorLanes.SPECIES,
          new float[] {-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1},
          0);

  /** {@code k} in lane {@code k}: the upper half ({@code k + 16 - 16}). */
  private static final FloatVector UPPER = LOWER.add(16f);

  Q5_0Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q5_0, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      int qh = data.get(Bytes.INT_LE, block + QH);
      for (int j = 0; j < QK / 2; j++) {
        int bits = Bytes.u8(data, block + QS + j);
        int x0 = ((bits & 0x0F) | (((qh >>> j) & 1) << 4)) - 16;
        int x1 = ((bits >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
        out[at + b * QK + j] = x0 * d;
        out[at + b * QK + j + QK / 2] = x1 * d;
      }
    }
  }

  /**
   * Elements {@code [e, e + LANES)} of the block at {@code block} whose nibbles start at {@code
   * block + qs}, as unsigned five-bit values (nibble plus sixteen times the fifth bit): the
   * narrower widths' decoding, shared with Q5_1.
   */
  static FloatVector fiveBits(MemorySegment data, long block, long qs, int qh, int e) {
    ByteVector bits = VectorLanes.bytes(data, block + qs, e & 15);
    FloatVector nibbles =
        VectorLanes.widen(e < 16 ? VectorLanes.low(bits) : VectorLanes.highByWords(bits), e & 15);
    IntVector fifth = VectorLanes.fifthBits(qh >>> e);
    return nibbles.add((FloatVector) fifth.convert(VectorOperators.I2F, 0));
  }

  /**
   * The table indexes of sixteen elements (their five-bit quants in the low five bits, the bits
   * above them anything: the two-table lookup takes them modulo 32): the low ({@code high} false)
   * or high nibbles of {@code bytes} (from {@link VectorLanes#unsignedInts}) below the fifth bits
   * in {@code bits} ({@link VectorLanes#shiftedByLane} of the block's {@code qh}: bit 0 of lane
   * {@code i} is element {@code i}'s, bit 16 element {@code i + 16}'s), put together by one bitwise
   * select.
   */
  static IntVector index(IntVector bytes, IntVector bits, boolean high) {
    return high
        ? bits.lanewise(VectorOperators.LSHR, 12)
            .lanewise(VectorOperators.BITWISE_BLEND, bytes.lanewise(VectorOperators.LSHR, 4), 0x0F)
        : bits.lanewise(VectorOperators.LSHL, 4)
            .lanewise(VectorOperators.BITWISE_BLEND, bytes, 0x0F);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      int qh = data.get(Bytes.INT_LE, block + QH);
      int y = at + b * QK;
      if (VectorLanes.LOOKUP) {
        FloatVector lower = LOWER.mul(d);
        FloatVector upper = UPPER.mul(d);
        IntVector bytes = VectorLanes.unsignedInts(data, block + QS);
        IntVector bits = VectorLanes.shiftedByLane(qh);
        VectorLanes.lookUp(lower, upper, index(bytes, bits, false)).intoArray(out, y);
        VectorLanes.lookUp(lower, upper, index(bytes, bits, true)).intoArray(out, y + 16);
        continue;
      }
      FloatVector dv = FloatVector.broadcast(s, d);
      FloatVector offset16 = FloatVector.broadcast(s, -16 * d);
      for (int e = 0; e < QK; e += s.length()) {
        fiveBits(data, block, QS, qh, e).fma(dv, offset16).intoArray(out, y + e);
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
    long block = offset;
    for (int i = 0; i < cols; i += QK, block += BYTES) {
      float d = Bytes.f16(data, block);
      int qh = data.get(Bytes.INT_LE, block + QH);
      if (VectorLanes.LOOKUP) {
        // Sixteen lanes: the low nibbles are the even vector, the high ones the odd vector.
        FloatVector lower = LOWER.mul(d);
        FloatVector upper = UPPER.mul(d);
        IntVector bytes = VectorLanes.unsignedInts(data, block + QS);
        IntVector bits = VectorLanes.shiftedByLane(qh);
        even =
            VectorLanes.lookUp(lower, upper, index(bytes, bits, false))
                .fma(FloatVector.fromArray(s, x, i), even);
        odd =
            VectorLanes.lookUp(lower, upper, index(bytes, bits, true))
                .fma(FloatVector.fromArray(s, x, i + 16), odd);
        continue;
      }
      // (q - 16) * d as one multiply-add, q * d - 16 * d: 16 * d is exact, so the one rounding
      // gives the scalar decoding's float
      FloatVector dv = FloatVector.broadcast(s, d);
      FloatVector offset16 = FloatVector.broadcast(s, -16 * d);
      for (int e = 0; e < QK; e += 2 * l) {
        even =
            fiveBits(data, block, QS, qh, e)
                .fma(dv, offset16)
                .fma(FloatVector.fromArray(s, x, i + e), even);
        odd =
            fiveBits(data, block, QS, qh, e + l)
                .fma(dv, offset16)
                .fma(FloatVector.fromArray(s, x, i + e + l), odd);
      }
    }
    if (VectorLanes.LOOKUP) {
      return VectorLanes.sum(even, odd);
    }
    // Below sixteen lanes the byte-lane decoding takes this compilation past C2's inlining cutoff
    // (measured by KernelCompilationTest at 256 bits), where the sum's tree would be left out and
    // the vectors boxed: the kernel stores the lanes itself and adds them in the same order.
    even.add(odd).intoArray(scratch, 0);
    return VectorLanes.sumLanes(scratch);
  }
}

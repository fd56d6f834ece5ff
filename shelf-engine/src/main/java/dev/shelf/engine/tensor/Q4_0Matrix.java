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
 * {@code block_q4_0} (18 bytes per 32 elements): an f16 scale {@code d}, then 16 bytes of nibbles;
 * element {@code j < 16} is the low nibble of byte {@code j}, element {@code j + 16} its high
 * nibble; {@code w = (nibble - 8) * d}. At 512 bits a block is one vector of low nibbles and one of
 * high ones, each weight looked up in the block's table of sixteen ({@link VectorLanes#lookUp}).
 */
final class Q4_0Matrix extends WeightMatrix {
  private static final int QK = 32;
  private static final int BYTES = 18;
  private static final int QS = 2;

  /**
   * Each block's scale {@code d}, widened once ({@link WeightMatrix#blockScales}), for the vector
   * kernels; the scalar twin reads the halves in place, so a scalar matrix has none.
   */
  private final float[] scales;

  /** {@code k - 8} in lane {@code k}: times a block's scale, its sixteen possible weights. */
  private static final FloatVector LEVELS =
      FloatVector.fromArray(
          VectorLanes.SPECIES,
          new float[] {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7},
          0);

  Q4_0Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q4_0, data, rows, cols, simd, panels);
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
      for (int j = 0; j < QK / 2; j++) {
        int bits = Bytes.u8(data, block + QS + j);
        int x0 = (bits & 0x0F) - 8;
        int x1 = (bits >> 4) - 8;
        out[at + b * QK + j] = x0 * d;
        out[at + b * QK + j + QK / 2] = x1 * d;
      }
    }
  }

  /**
   * True at eight lanes (AVX2): the nibbles are taken in 32-bit lanes, from bytes zero-extended as
   * they are loaded, where byte lanes cost a sign extension and the high ones a shift and a mask
   * more.
   */
  private static final boolean INTS = VectorLanes.LANES == 8;

  private FloatVector quants(long block, int e) {
    if (INTS) {
      IntVector bits = VectorLanes.unsignedInts(data, block + QS + (e & 15));
      IntVector nibbles = e < 16 ? bits.and(0x0F) : bits.lanewise(VectorOperators.LSHR, 4);
      return (FloatVector) nibbles.sub(8).convert(VectorOperators.I2F, 0);
    }
    ByteVector bits = VectorLanes.bytes(data, block + QS, e & 15);
    ByteVector nibbles = e < 16 ? VectorLanes.low(bits) : VectorLanes.highByWords(bits);
    return VectorLanes.widen(nibbles.sub((byte) 8), e & 15);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    long block = offset;
    int f = (int) (offset / BYTES);
    for (int y = at; y < at + elements; y += QK, block += BYTES, f++) {
      if (VectorLanes.LOOKUP) {
        FloatVector table = LEVELS.mul(scales[f]);
        IntVector bits = VectorLanes.unsignedInts(data, block + QS);
        VectorLanes.lookUp(table, bits.and(0x0F)).intoArray(out, y);
        VectorLanes.lookUp(table, bits.lanewise(VectorOperators.LSHR, 4))
            .intoArray(out, y + QK / 2);
        continue;
      }
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
    // The loop counts x's index and carries the block's offset beside it: with the offset worked
    // out from a block counter, the compiled loop kept x's range checks and more address arithmetic
    // (19 scalar instructions per two blocks where there had been about 25; 11% faster, one Zen 5
    // thread). The same sums in the same order.
    long block = offset;
    int f = (int) (offset / BYTES);
    for (int i = 0; i < cols; i += QK, block += BYTES, f++) {
      if (VectorLanes.LOOKUP) {
        // Sixteen lanes: the low nibbles are the even vector, the high ones the odd vector.
        FloatVector table = LEVELS.mul(scales[f]);
        IntVector bits = VectorLanes.unsignedInts(data, block + QS);
        even = VectorLanes.lookUp(table, bits.and(0x0F)).fma(FloatVector.fromArray(s, x, i), even);
        odd =
            VectorLanes.lookUp(table, bits.lanewise(VectorOperators.LSHR, 4))
                .fma(FloatVector.fromArray(s, x, i + QK / 2), odd);
        continue;
      }
      FloatVector d = FloatVector.broadcast(s, scales[f]);
      for (int e = 0; e < QK; e += 2 * l) {
        even = quants(block, e).mul(d).fma(FloatVector.fromArray(s, x, i + e), even);
        odd = quants(block, e + l).mul(d).fma(FloatVector.fromArray(s, x, i + e + l), odd);
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

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
 * {@code block_q5_K} (176 bytes per 256 elements): f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * scales and mins packed as in Q4_K, 32 bytes {@code qh} of fifth bits, then 128 bytes of nibbles
 * laid out as in Q4_K. The fifth bit of element {@code l} of sub-block {@code g} is bit {@code g}
 * of {@code qh[l]}; {@code w = d * scale * (nibble + 16 * bit) - dmin * min}.
 *
 * <p>At sixteen lanes the kernels work as Q4_K's: the scales and mins decoded once, at load, into
 * factors ({@link Q4KMatrix#factors(MemorySegment, long, int)}), then a flat loop over the
 * sub-blocks that looks each weight up in its sub-block's table of 32 ({@link
 * VectorLanes#lookUp(FloatVector, FloatVector, IntVector)}), its index the nibble and the fifth bit
 * shifted above it. The byte-lane decoding the narrower widths keep ran at a fifth of Q4_K's speed
 * there. One sub-block per pass (the four two-table lookups of 64 elements written out took the
 * loop past C2's node cutoff), but the bytes are widened outside it: the block's {@code qh} once
 * for its eight sub-blocks, each 32 bytes of nibbles once for the two sub-blocks they hold. x86
 * widens bytes on its one shuffle port, where the two-table lookups run too; widened per sub-block
 * (three shuffles per sixteen weights against Q4_K's one and a half) the row kernel decoded a
 * Q5_K_M file at half Q4_K_M's speed on an Emerald Rapids core, widened once 1.3 times faster.
 */
final class Q5KMatrix extends WeightMatrix {
  private static final int QK = 256;
  private static final int GROUP = 32;
  private static final int BYTES = 176;
  private static final int DMIN = 2;
  private static final int SCALES = 4;
  private static final int QH = 16;
  private static final int QS = 48;

  /** Sixteen lanes: the table kernels over {@link #factors}. */
  private static final boolean WIDE = VectorLanes.LANES == 16;

  /**
   * Eight lanes (AVX2): Q4_K's factors, and each block decoded in 32-bit lanes from bytes
   * zero-extended as they are loaded ({@link #decode}), by the row kernel into its scratch. The
   * byte lanes the 128-bit species keeps cost a sign extension and, for the high nibbles and the
   * fifth bits, the byte shifts x86 lacks: on a Zen 3 core they ran the row kernel at 1.3
   * Gweights/s, a sixth of Q4_K's speed.
   */
  private static final boolean INTS = VectorLanes.LANES == 8;

  /** {@code k + 16} in lane {@code k}: the upper half of a sub-block's table of 32 levels. */
  private static final FloatVector UPPER_LEVELS = Q4KMatrix.LEVELS.add(16f);

  /**
   * Q4_K's factors of every block ({@link Q4KMatrix#factors}); empty at 128 bits and for the scalar
   * twin.
   */
  private final float[] factors;

  /** Floats of {@link #factors} per row. */
  private final int factorRow;

  Q5KMatrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q5_K, data, rows, cols, simd, panels);
    this.factorRow = cols / QK * Q4KMatrix.BLOCK_FACTORS;
    this.factors =
        (WIDE || INTS) && simd.isVector() && !paneled()
            ? Q4KMatrix.factors(data, (long) rows * (cols / QK), BYTES)
            : new float[0];
  }

  @Override
  long factorBytes() {
    return (long) factors.length * Float.BYTES;
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
    if (WIDE) {
      int f = Q4KMatrix.factorAt(offset, rowBytes, factorRow, BYTES);
      for (int b = 0; b < elements / QK; b++) {
        // The row kernel's loop (fifth bits and nibbles widened once per block and per pair),
        // written out again on purpose: a helper shared by the two would be one more call level,
        // and past C2's MaxInlineLevel the vectors are boxed (as Q6KMatrix#columnStore says).
        long block = offset + (long) b * BYTES;
        IntVector qh = VectorLanes.unsignedInts(data, block + QH);
        IntVector qh16 = VectorLanes.unsignedInts(data, block + QH + 16);
        for (int j = 0; j < QK / 64; j++) {
          IntVector q = VectorLanes.unsignedInts(data, block + QS + 32L * j);
          IntVector q16 = VectorLanes.unsignedInts(data, block + QS + 32L * j + 16);
          for (int n = 0; n < 2; n++) {
            int k = 2 * j + n;
            int fk = f + 2 * (8 * b + k);
            float scale = factors[fk];
            float min = factors[fk + 1];
            FloatVector low = Q4KMatrix.LEVELS.fma(scale, min);
            FloatVector upper = UPPER_LEVELS.fma(scale, min);
            int y = at + QK * b + GROUP * k;
            VectorLanes.lookUp(low, upper, index(q, qh, n)).intoArray(out, y);
            VectorLanes.lookUp(low, upper, index(q16, qh16, n)).intoArray(out, y + 16);
            qh = qh.lanewise(VectorOperators.LSHR, 1);
            qh16 = qh16.lanewise(VectorOperators.LSHR, 1);
          }
        }
      }
      return;
    }
    if (INTS) {
      int f = Q4KMatrix.factorAt(offset, rowBytes, factorRow, BYTES);
      for (int b = 0; b < elements / QK; b++) {
        decode(offset + (long) b * BYTES, f + Q4KMatrix.BLOCK_FACTORS * b, out, at + QK * b);
      }
      return;
    }
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

  /**
   * The block at {@code block}, its factors at {@code fb}, decoded at eight lanes into {@code
   * out[at, at + 256)}, a column of eight elements at a time: column {@code c} of the fifth bits
   * ({@code qh[8c, 8c + 8)}, shifted up by four) is widened once for the eight sub-blocks, and
   * column {@code c} of each 32 bytes of nibbles once for its two sub-blocks.
   */
  private void decode(long block, int fb, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    for (int c = 0; c < GROUP; c += s.length()) {
      IntVector fifths =
          VectorLanes.unsignedInts(data, block + QH + c).lanewise(VectorOperators.LSHL, 4);
      for (int j = 0; j < QK / 64; j++) {
        IntVector q = VectorLanes.unsignedInts(data, block + QS + 32L * j + c);
        int fj = fb + 4 * j;
        int y = at + 64 * j + c;
        // Bit 2j of qh[l] (at bit 2j + 4 of fifths) is the fifth bit of sub-block 2j, bit 2j + 1
        // that of sub-block 2j + 1.
        IntVector low = q.and(0x0F).or(fifths.lanewise(VectorOperators.LSHR, 2 * j).and(16));
        IntVector high =
            q.lanewise(VectorOperators.LSHR, 4)
                .or(fifths.lanewise(VectorOperators.LSHR, 2 * j + 1).and(16));
        ((FloatVector) low.convert(VectorOperators.I2F, 0))
            .fma(factors[fj], factors[fj + 1])
            .intoArray(out, y);
        ((FloatVector) high.convert(VectorOperators.I2F, 0))
            .fma(factors[fj + 2], factors[fj + 3])
            .intoArray(out, y + 32);
      }
    }
  }

  /**
   * The five-bit values of sixteen elements from widened bytes, as indexes into a table of 32:
   * nibble {@code n} (low or high) of {@code q}, with bit 0 of {@code qh} above it. The bits of
   * {@code qh} that land above bit 4 are left in: {@link VectorLanes#lookUp(FloatVector,
   * FloatVector, IntVector)} takes indexes modulo 32, so one AND fewer per vector.
   */
  private static IntVector index(IntVector q, IntVector qh, int n) {
    IntVector nibbles = n == 0 ? q.and(0x0F) : q.lanewise(VectorOperators.LSHR, 4);
    return nibbles.or(qh.lanewise(VectorOperators.LSHL, 4));
  }

  @Override
  void dotRows(float[] x, float[] out, int rowStart, int rowEnd, float[] scratch) {
    for (int r = rowStart; r < rowEnd; r++) {
      out[r] = dot(r * rowBytes, r * factorRow, x, scratch);
    }
  }

  @Override
  float dotVector(long offset, float[] x, float[] scratch) {
    return dot(offset, (int) (offset / rowBytes) * factorRow, x, scratch);
  }

  /** The row at {@code offset}, its factors at {@code f} (sixteen lanes only), dotted. */
  private float dot(long offset, int f, float[] x, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int l = s.length();
    FloatVector even = FloatVector.zero(s);
    FloatVector odd = FloatVector.zero(s);
    if (WIDE) {
      long block = offset;
      int fb = f;
      for (int ib = 0; ib < cols; ib += QK, block += BYTES, fb += Q4KMatrix.BLOCK_FACTORS) {
        // The block's fifth bits widened once for its eight sub-blocks, and each 32 bytes of
        // nibbles once for the two sub-blocks they hold: x86 widens bytes on its one shuffle
        // port, which the two-table lookups need too.
        IntVector qh = VectorLanes.unsignedInts(data, block + QH);
        IntVector qh16 = VectorLanes.unsignedInts(data, block + QH + 16);
        for (int j = 0; j < QK / 64; j++) {
          IntVector q = VectorLanes.unsignedInts(data, block + QS + 32L * j);
          IntVector q16 = VectorLanes.unsignedInts(data, block + QS + 32L * j + 16);
          for (int n = 0; n < 2; n++) {
            // Sub-block k: the low (n = 0) or high nibbles, bit k of the block's qh (bit 0 of qh,
            // shifted down k times) above them; its first sixteen elements are an even vector,
            // the rest an odd one.
            int k = 2 * j + n;
            int fk = fb + 2 * k;
            float scale = factors[fk];
            float min = factors[fk + 1];
            FloatVector low = Q4KMatrix.LEVELS.fma(scale, min);
            FloatVector upper = UPPER_LEVELS.fma(scale, min);
            int i = ib + GROUP * k;
            even =
                VectorLanes.lookUp(low, upper, index(q, qh, n))
                    .fma(FloatVector.fromArray(s, x, i), even);
            odd =
                VectorLanes.lookUp(low, upper, index(q16, qh16, n))
                    .fma(FloatVector.fromArray(s, x, i + 16), odd);
            // the next sub-block's fifth bits down to bit 0: a shift by a constant, where a
            // rotate by 4 - k took a broadcast of k on the shuffle port every sub-block
            qh = qh.lanewise(VectorOperators.LSHR, 1);
            qh16 = qh16.lanewise(VectorOperators.LSHR, 1);
          }
        }
      }
      even.add(odd).intoArray(scratch, 0);
      return VectorLanes.sumLanes(scratch);
    }
    if (INTS) {
      // Each block decoded into the scratch, then multiplied in element order: the decoding and
      // the products in one loop over pairs of vectors kept C2 from unrolling it, and its address
      // arithmetic and bounds checks outnumbered the vector instructions.
      long block = offset;
      int fb = f;
      int w = 16;
      for (int i = 0; i < cols; i += QK, block += BYTES, fb += Q4KMatrix.BLOCK_FACTORS) {
        decode(block, fb, scratch, w);
        for (int e = 0; e < QK; e += 2 * l) {
          FloatVector first = FloatVector.fromArray(s, scratch, w + e);
          even = first.fma(FloatVector.fromArray(s, x, i + e), even);
          FloatVector second = FloatVector.fromArray(s, scratch, w + e + l);
          odd = second.fma(FloatVector.fromArray(s, x, i + e + l), odd);
        }
      }
      return VectorLanes.sum(even, odd);
    }
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

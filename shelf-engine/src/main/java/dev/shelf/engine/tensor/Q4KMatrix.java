package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code block_q4_K} (144 bytes per 256 elements): f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * 6-bit scales and mins for the 8 sub-blocks of 32 (unpacked by {@link #scale} and {@link #min},
 * ggml's {@code get_scale_min_k4}), then 128 bytes of nibbles. Each 64 elements take 32 bytes: the
 * low nibbles are sub-block {@code 2j}, the high nibbles sub-block {@code 2j + 1}; {@code w = d *
 * scale * q - dmin * min}.
 */
final class Q4KMatrix extends WeightMatrix {
  private static final int QK = 256;
  private static final int GROUP = 32;
  private static final int BYTES = 144;
  private static final int DMIN = 2;
  private static final int SCALES = 4;
  private static final int QS = 16;

  /**
   * {@code k} in lane {@code k}: {@code LEVELS * scale - min} is a sub-block's table of sixteen
   * weights, each exactly the scalar decoding's ({@code scale * k} is exact: an f16 times a 6-bit
   * scale times a nibble fits in a float's 24 bits, so one rounding or two give the same float).
   */
  private static final FloatVector LEVELS =
      FloatVector.fromArray(
          VectorLanes.SPECIES,
          new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
          0);

  /*
   * Sixteen lanes decode the twelve packed bytes at once: lanes 0-7 the scales of sub-blocks 0-7,
   * lanes 8-15 their mins. Each lane takes its low bits from byte FIRST, shifted by SHIFT and
   * masked by MASK, and (sub-blocks 4-7) bits 6 and 7 of byte SECOND as bits 4 and 5 (HIGH).
   */
  private static final boolean WIDE = VectorLanes.LANES == 16;
  private static final int[] FIRST = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11};
  private static final int[] SECOND = {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7};
  private static final int[] SHIFT = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4};
  private static final int[] MASK = {
    63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15
  };
  private static final int[] HIGH = {0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48};

  private static final VectorShuffle<Integer> FIRST_BYTES = shuffle(FIRST);
  private static final VectorShuffle<Integer> SECOND_BYTES = shuffle(SECOND);
  private static final IntVector SHIFTS = ints(SHIFT);
  private static final IntVector MASKS = ints(MASK);
  private static final IntVector HIGHS = ints(HIGH);
  private static final VectorMask<Float> MINS =
      VectorMask.fromLong(VectorLanes.SPECIES, WIDE ? 0xFF00L : 0L);

  private static VectorShuffle<Integer> shuffle(int[] lanes) {
    return VectorShuffle.fromArray(IntVector.SPECIES_512, lanes, 0);
  }

  private static IntVector ints(int[] lanes) {
    return IntVector.fromArray(IntVector.SPECIES_512, lanes, 0);
  }

  Q4KMatrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.Q4_K, data, rows, cols, simd);
  }

  /** The 6-bit scale of sub-block {@code j} from the 12 packed bytes at {@code scales}. */
  static int scale(MemorySegment data, long scales, int j) {
    return j < 4
        ? Bytes.u8(data, scales + j) & 63
        : (Bytes.u8(data, scales + j + 4) & 0x0F) | ((Bytes.u8(data, scales + j - 4) >> 6) << 4);
  }

  /** The 6-bit min of sub-block {@code j} from the 12 packed bytes at {@code scales}. */
  static int min(MemorySegment data, long scales, int j) {
    return j < 4
        ? Bytes.u8(data, scales + j + 4) & 63
        : (Bytes.u8(data, scales + j + 4) >> 4) | ((Bytes.u8(data, scales + j) >> 6) << 4);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      float min = Bytes.f16(data, block + DMIN);
      int y = at + b * QK;
      for (int j = 0; j < QK / 64; j++) {
        float d1 = d * scale(data, block + SCALES, 2 * j);
        float m1 = min * min(data, block + SCALES, 2 * j);
        float d2 = d * scale(data, block + SCALES, 2 * j + 1);
        float m2 = min * min(data, block + SCALES, 2 * j + 1);
        long q = block + QS + 32L * j;
        for (int l = 0; l < 32; l++) {
          out[y++] = d1 * (Bytes.u8(data, q + l) & 0x0F) - m1;
        }
        for (int l = 0; l < 32; l++) {
          out[y++] = d2 * (Bytes.u8(data, q + l) >> 4) - m2;
        }
      }
    }
  }

  /**
   * The eight sub-block scales {@code d * scale(j)} into {@code out[at, at + 8)} and the eight
   * negated mins {@code -(dmin * min(j))} into {@code out[at + 8, at + 16)} ({@link #scale} and
   * {@link #min}, the same floats as {@link #dequantize} takes), with the twelve packed bytes read
   * as two words and the two halves widened once (Q5_K packs them alike). A kernel of its own (see
   * {@link JitDirectives}) for the vector dequantizing, where inlined it pushed the compilation
   * over C2's node cutoff; the Q4_K row kernel inlines {@link #blockScales} instead.
   */
  static void scales(MemorySegment data, long block, float[] out, int at) {
    blockScales(data, block, out, at);
  }

  /** {@link #scales}, always inlined: the Q4_K row kernel ran 40% faster with it inlined. */
  static void blockScales(MemorySegment data, long block, float[] out, int at) {
    float d = Bytes.f16(data, block);
    float dmin = Bytes.f16(data, block + DMIN);
    if (WIDE) {
      // The same integers as below, in sixteen lanes: a fifth of the instructions of the scalar
      // decoding, which had been as costly as the nibbles of the 512-bit kernel.
      IntVector bytes = VectorLanes.unsignedInts(data, block + SCALES);
      IntVector q =
          bytes
              .rearrange(FIRST_BYTES)
              .lanewise(VectorOperators.LSHR, SHIFTS)
              .and(MASKS)
              .or(bytes.rearrange(SECOND_BYTES).lanewise(VectorOperators.LSHR, 2).and(HIGHS));
      FloatVector factors = FloatVector.broadcast(VectorLanes.SPECIES, d).blend(-dmin, MINS);
      ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(factors).intoArray(out, at);
      return;
    }
    long lo = data.get(Bytes.LONG_LE, block + SCALES);
    long hi = data.get(Bytes.INT_LE, block + SCALES + 8) & 0xFFFFFFFFL;
    for (int j = 0; j < 4; j++) {
      out[at + j] = d * (int) ((lo >>> (8 * j)) & 63);
      out[at + 8 + j] = -(dmin * (int) ((lo >>> (8 * (j + 4))) & 63));
    }
    for (int j = 4; j < 8; j++) {
      int q = (int) ((hi >>> (8 * (j - 4))) & 0xFF);
      int below = (int) ((lo >>> (8 * (j - 4))) & 0xFF);
      int same = (int) ((lo >>> (8 * j)) & 0xFF);
      out[at + j] = d * ((q & 0x0F) | ((below >> 6) << 4));
      out[at + 8 + j] = -(dmin * ((q >> 4) | ((same >> 6) << 4)));
    }
  }

  private FloatVector quants(long block, int e) {
    int at = 32 * (e >> 6) + (e & 31);
    ByteVector bits = VectorLanes.bytes(data, block + QS, at);
    return VectorLanes.widen((e & 32) == 0 ? VectorLanes.low(bits) : VectorLanes.high(bits), at);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    float[] sm = new float[16];
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      scales(data, block, sm, 0);
      if (VectorLanes.LOOKUP) {
        for (int j = 0; j < QK / 64; j++) {
          FloatVector low = LEVELS.fma(sm[2 * j], sm[8 + 2 * j]);
          FloatVector high = LEVELS.fma(sm[2 * j + 1], sm[9 + 2 * j]);
          IntVector first = VectorLanes.unsignedInts(data, block + QS + 32L * j);
          IntVector second = VectorLanes.unsignedInts(data, block + QS + 32L * j + 16);
          int y = at + b * QK + 64 * j;
          VectorLanes.lookUp(low, first.and(0x0F)).intoArray(out, y);
          VectorLanes.lookUp(low, second.and(0x0F)).intoArray(out, y + 16);
          VectorLanes.lookUp(high, first.lanewise(VectorOperators.LSHR, 4)).intoArray(out, y + 32);
          VectorLanes.lookUp(high, second.lanewise(VectorOperators.LSHR, 4)).intoArray(out, y + 48);
        }
        continue;
      }
      for (int g = 0; g < QK / GROUP; g++) {
        FloatVector d = FloatVector.broadcast(s, sm[g]);
        FloatVector m = FloatVector.broadcast(s, sm[8 + g]);
        for (int e = g * GROUP; e < (g + 1) * GROUP; e += s.length()) {
          quants(block, e).fma(d, m).intoArray(out, at + b * QK + e);
        }
      }
    }
  }

  /** The nibbles at bit {@code shift} of the sixteen bytes at {@code q}, as int lanes. */
  private IntVector nibbles(long q, int shift) {
    return VectorLanes.unsignedInts(data, q).lanewise(VectorOperators.LSHR, shift).and(0x0F);
  }

  /** Elements {@code [l, l + lanes)} of the low nibbles of the 32 bytes at {@code q}. */
  private FloatVector lowQuants(long q, int l) {
    return VectorLanes.widen(VectorLanes.low(VectorLanes.bytes(data, q, l)), l);
  }

  /** Elements {@code [l, l + lanes)} of the high nibbles of the 32 bytes at {@code q}. */
  private FloatVector highQuants(long q, int l) {
    return VectorLanes.widen(VectorLanes.high(VectorLanes.bytes(data, q, l)), l);
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
    int sm = s.length();
    FloatVector even = FloatVector.zero(s);
    FloatVector odd = FloatVector.zero(s);
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      blockScales(data, block, scratch, sm);
      for (int j = 0; j < QK / 64; j++) {
        long q = block + QS + 32L * j;
        int i = b * QK + 64 * j;
        if (VectorLanes.LOOKUP) {
          // Sixteen lanes: each sub-block's sixteen weights in a table, each vector looked up; one
          // sub-block per pass (a variable shift picks its nibbles), so the compiled kernel stays
          // under the JIT's inlining cutoff (written out for both, it boxed its lane sum).
          for (int half = 0; half < 2; half++) {
            FloatVector table =
                LEVELS.fma(scratch[sm + 2 * j + half], scratch[sm + 8 + 2 * j + half]);
            int at = i + 32 * half;
            even =
                VectorLanes.lookUp(table, nibbles(q, 4 * half))
                    .fma(FloatVector.fromArray(s, x, at), even);
            odd =
                VectorLanes.lookUp(table, nibbles(q + 16, 4 * half))
                    .fma(FloatVector.fromArray(s, x, at + 16), odd);
          }
          continue;
        }
        // Sub-block 2j: the low nibbles of the 32 bytes at q; sub-block 2j + 1: their high ones.
        FloatVector d = FloatVector.broadcast(s, scratch[sm + 2 * j]);
        FloatVector m = FloatVector.broadcast(s, scratch[sm + 8 + 2 * j]);
        for (int l = 0; l < 32; l += 2 * sm) {
          even = lowQuants(q, l).fma(d, m).fma(FloatVector.fromArray(s, x, i + l), even);
          odd = lowQuants(q, l + sm).fma(d, m).fma(FloatVector.fromArray(s, x, i + l + sm), odd);
        }
        d = FloatVector.broadcast(s, scratch[sm + 2 * j + 1]);
        m = FloatVector.broadcast(s, scratch[sm + 9 + 2 * j]);
        for (int l = 0; l < 32; l += 2 * sm) {
          int at = i + 32 + l;
          even = highQuants(q, l).fma(d, m).fma(FloatVector.fromArray(s, x, at), even);
          odd = highQuants(q, l + sm).fma(d, m).fma(FloatVector.fromArray(s, x, at + sm), odd);
        }
      }
    }
    // At 512 bits (the vector scales inlined) and at 128 (byte-lane decoding) the tree of
    // shuffles put this compilation over C2's node cutoff: the kernel stores the lanes itself and
    // adds them in the same order.
    if (VectorLanes.LOOKUP || VectorLanes.LANES == 4) {
      even.add(odd).intoArray(scratch, 0);
      return VectorLanes.sumLanes(scratch);
    }
    return VectorLanes.sum(even, odd);
  }
}

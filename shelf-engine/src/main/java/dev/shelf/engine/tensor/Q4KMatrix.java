package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * {@code block_q4_K} (144 bytes per 256 elements): f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * 6-bit scales and mins for the 8 sub-blocks of 32 (unpacked by {@link #scale} and {@link #min},
 * ggml's {@code get_scale_min_k4}), then 128 bytes of nibbles. Each 64 elements take 32 bytes: the
 * low nibbles are sub-block {@code 2j}, the high nibbles sub-block {@code 2j + 1}; {@code w = d *
 * scale * q - dmin * min}.
 *
 * <h2>The factors, decoded once</h2>
 *
 * The vector kernels do not decode the packed scales and mins as they go: when the matrix is made,
 * each row's are decoded once ({@link #factors}) into four floats per 64 elements, {@code d *
 * scale} and {@code -(dmin * min)} of the two sub-blocks, the same floats {@link #dequantize}
 * computes. The kernels then read those floats and the nibbles in place. Decoding them per block,
 * inside the row kernel, cost as much as the dot product itself: the kernel ran at 27 GFLOP/s per
 * thread where Q4_0's runs at 54, for the decoding's own instructions and for what they did to the
 * compiled loop (spilled registers, constants reloaded every block). With the factors the row
 * kernel is a flat loop over 64 elements, as Q4_0's, and ran 1.8 times as fast in cache and 1.5
 * times from memory, for 64 more bytes read per 256 elements (208 in all, from 144) and as much
 * memory besides the mapped file (0.25 bytes per weight, 44% of the tensor's size).
 */
final class Q4KMatrix extends WeightMatrix {
  private static final int QK = 256;
  private static final int GROUP = 32;
  private static final int BYTES = 144;
  private static final int DMIN = 2;
  private static final int SCALES = 4;
  private static final int QS = 16;

  /** Bytes of {@link #factors} per 64 elements: four floats. */
  static final int FACTOR_BYTES = 16;

  /** Floats of {@link #factors} per block of 256 elements (of Q4_K or Q5_K). */
  static final int BLOCK_FACTORS = QK / 64 * FACTOR_BYTES / Float.BYTES;

  /**
   * {@code k} in lane {@code k}: {@code LEVELS * scale - min} is a sub-block's table of sixteen
   * weights, each exactly the scalar decoding's ({@code scale * k} is exact: an f16 times a 6-bit
   * scale times a nibble fits in a float's 24 bits, so one rounding or two give the same float).
   */
  static final FloatVector LEVELS =
      FloatVector.fromArray(
          VectorLanes.SPECIES,
          new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
          0);

  /**
   * Per row {@code cols / 64} groups of four floats: {@code d * scale(2j)}, {@code -(dmin *
   * min(2j))}, {@code d * scale(2j + 1)}, {@code -(dmin * min(2j + 1))} for elements {@code [64j,
   * 64j + 64)}. The scalar twin ({@link #dequantize}) decodes as it goes and does not read them, so
   * a scalar matrix (an untied model's token embedding, read a row at a time) has none.
   */
  private final float[] factors;

  /** Floats of {@link #factors} per row. */
  private final int factorRow;

  Q4KMatrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q4_K, data, rows, cols, simd, panels);
    this.factorRow = cols / QK * BLOCK_FACTORS;
    this.factors = simd.isVector() && !paneled() ? factors(data, rows, cols) : new float[0];
  }

  /**
   * Every row's sub-block factors, decoded as {@link #dequantize} decodes them, in an array the
   * garbage collector frees with the matrix. An array, not native memory: a native segment read in
   * the same kernels as the mapped weights is the mix that makes the JIT's profiles of the JDK's
   * memory access code polymorphic (see {@code WeightMatrix.panels}). This array, with {@link #dot}
   * forced inline (see {@link JitDirectives}), decoded llama32-1b Q4_K_M faster than native factors
   * and {@code dot} left to the JIT in 6 of 7 runs, each alternated with one of the other on a
   * noisy 2-vCPU Zen 5 (the slow layout's runs fell to 10-12 tok/s, this one's stayed at 15-23);
   * native factors with {@code dot} forced inline were slower than both.
   */
  private static float[] factors(MemorySegment data, int rows, int cols) {
    return factors(data, (long) rows * (cols / QK), BYTES);
  }

  /**
   * The factors ({@link #factors}' layout) of {@code blocks} blocks of {@code blockBytes} bytes
   * that begin with Q4_K's {@code d}, {@code dmin} and packed scales, as Q5_K's do.
   */
  static float[] factors(MemorySegment data, long blocks, int blockBytes) {
    if (blocks > Integer.MAX_VALUE / BLOCK_FACTORS) {
      throw new IllegalArgumentException(
          "a matrix of "
              + blocks
              + " blocks has more sub-block factors than a Java array holds; split the tensor");
    }
    float[] out = new float[(int) blocks * BLOCK_FACTORS];
    int at = 0;
    for (long block = 0; block < blocks; block++) {
      long b = block * blockBytes;
      float d = Bytes.f16(data, b);
      float min = Bytes.f16(data, b + DMIN);
      for (int j = 0; j < QK / GROUP; j++, at += 2) {
        out[at] = d * scale(data, b + SCALES, j);
        out[at + 1] = -(min * min(data, b + SCALES, j));
      }
    }
    return out;
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
   * as two words. Q5_K packs its scales alike and decodes them with this as it goes below sixteen
   * lanes (Q4_K's kernels, and Q5_K's at sixteen, read {@link #factors}, decoded once). A kernel of
   * its own (see {@link JitDirectives}): inlined, it pushed the vector dequantizing over C2's node
   * cutoff.
   */
  static void scales(MemorySegment data, long block, float[] out, int at) {
    float d = Bytes.f16(data, block);
    float dmin = Bytes.f16(data, block + DMIN);
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

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int f = factorAt(offset);
    for (int g = 0; g < elements / 64; g++) {
      long q = offset + (long) (g >> 2) * BYTES + QS + 32L * (g & 3);
      int fg = f + 4 * g;
      float lowScale = factors[fg];
      float lowMin = factors[fg + 1];
      float highScale = factors[fg + 2];
      float highMin = factors[fg + 3];
      int y = at + 64 * g;
      if (VectorLanes.LOOKUP) {
        FloatVector low = LEVELS.fma(lowScale, lowMin);
        FloatVector high = LEVELS.fma(highScale, highMin);
        IntVector first = VectorLanes.unsignedInts(data, q);
        IntVector second = VectorLanes.unsignedInts(data, q + 16);
        VectorLanes.lookUp(low, first.and(0x0F)).intoArray(out, y);
        VectorLanes.lookUp(low, second.and(0x0F)).intoArray(out, y + 16);
        VectorLanes.lookUp(high, first.lanewise(VectorOperators.LSHR, 4)).intoArray(out, y + 32);
        VectorLanes.lookUp(high, second.lanewise(VectorOperators.LSHR, 4)).intoArray(out, y + 48);
        continue;
      }
      FloatVector d = FloatVector.broadcast(s, lowScale);
      FloatVector m = FloatVector.broadcast(s, lowMin);
      for (int l = 0; l < 32; l += s.length()) {
        lowQuants(q, l).fma(d, m).intoArray(out, y + l);
      }
      d = FloatVector.broadcast(s, highScale);
      m = FloatVector.broadcast(s, highMin);
      for (int l = 0; l < 32; l += s.length()) {
        highQuants(q, l).fma(d, m).intoArray(out, y + 32 + l);
      }
    }
  }

  /**
   * Elements {@code [l, l + lanes)} of the low nibbles of the 32 bytes at {@code q}. At eight lanes
   * the bytes are widened to ints as they are loaded and masked there ({@link #INTS}).
   */
  private FloatVector lowQuants(long q, int l) {
    if (INTS) {
      return (FloatVector)
          VectorLanes.unsignedInts(data, q + l).and(0x0F).convert(VectorOperators.I2F, 0);
    }
    return VectorLanes.widen(VectorLanes.low(VectorLanes.bytes(data, q, l)), l);
  }

  /** Elements {@code [l, l + lanes)} of the high nibbles of the 32 bytes at {@code q}. */
  private FloatVector highQuants(long q, int l) {
    if (INTS) {
      return (FloatVector)
          VectorLanes.unsignedInts(data, q + l)
              .lanewise(VectorOperators.LSHR, 4)
              .convert(VectorOperators.I2F, 0);
    }
    return VectorLanes.widen(VectorLanes.high(VectorLanes.bytes(data, q, l)), l);
  }

  /**
   * True at eight lanes (AVX2): the nibbles are taken in 32-bit lanes, from bytes zero-extended as
   * they are loaded, where byte lanes cost a sign extension and, for the high nibbles, the four
   * instructions of a byte shift (x86 has none).
   */
  private static final boolean INTS = VectorLanes.LANES == 8;

  @Override
  void dotRows(float[] x, float[] out, int rowStart, int rowEnd, float[] scratch) {
    for (int r = rowStart; r < rowEnd; r++) {
      out[r] = dot(r * rowBytes, r * factorRow, x, scratch);
    }
  }

  @Override
  float dotVector(long offset, float[] x, float[] scratch) {
    return dot(offset, factorAt(offset), x, scratch);
  }

  /** Where the factors of the block at {@code offset} begin in {@link #factors}. */
  private int factorAt(long offset) {
    return factorAt(offset, rowBytes, factorRow, BYTES);
  }

  /**
   * Where the factors of the block at byte {@code offset} begin in a {@link #factors} array, for
   * rows of {@code rowBytes} bytes, {@code factorRow} floats of factors a row and blocks of {@code
   * blockBytes} bytes (Q4_K's or Q5_K's).
   */
  static int factorAt(long offset, long rowBytes, int factorRow, int blockBytes) {
    return (int) (offset / rowBytes) * factorRow
        + (int) (offset % rowBytes / blockBytes) * BLOCK_FACTORS;
  }

  /** The row whose nibbles start at block {@code offset} and factors at {@code f}, dotted. */
  private float dot(long offset, int f, float[] x, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int sm = s.length();
    FloatVector even = FloatVector.zero(s);
    FloatVector odd = FloatVector.zero(s);
    for (int g = 0; g < cols / 64; g++) {
      // Elements [64g, 64g + 64): sub-block 2g is the low nibbles of the 32 bytes at q, 2g + 1
      // their high ones.
      long q = offset + (long) (g >> 2) * BYTES + QS + 32L * (g & 3);
      int fg = f + 4 * g;
      float lowScale = factors[fg];
      float lowMin = factors[fg + 1];
      float highScale = factors[fg + 2];
      float highMin = factors[fg + 3];
      int i = 64 * g;
      if (VectorLanes.LOOKUP) {
        // Sixteen lanes: each sub-block's sixteen weights in a table, each vector looked up.
        FloatVector low = LEVELS.fma(lowScale, lowMin);
        FloatVector high = LEVELS.fma(highScale, highMin);
        IntVector first = VectorLanes.unsignedInts(data, q);
        IntVector second = VectorLanes.unsignedInts(data, q + 16);
        even = VectorLanes.lookUp(low, first.and(0x0F)).fma(FloatVector.fromArray(s, x, i), even);
        odd =
            VectorLanes.lookUp(low, second.and(0x0F)).fma(FloatVector.fromArray(s, x, i + 16), odd);
        even =
            VectorLanes.lookUp(high, first.lanewise(VectorOperators.LSHR, 4))
                .fma(FloatVector.fromArray(s, x, i + 32), even);
        odd =
            VectorLanes.lookUp(high, second.lanewise(VectorOperators.LSHR, 4))
                .fma(FloatVector.fromArray(s, x, i + 48), odd);
        continue;
      }
      FloatVector d = FloatVector.broadcast(s, lowScale);
      FloatVector m = FloatVector.broadcast(s, lowMin);
      for (int l = 0; l < 32; l += 2 * sm) {
        even = lowQuants(q, l).fma(d, m).fma(FloatVector.fromArray(s, x, i + l), even);
        odd = lowQuants(q, l + sm).fma(d, m).fma(FloatVector.fromArray(s, x, i + l + sm), odd);
      }
      d = FloatVector.broadcast(s, highScale);
      m = FloatVector.broadcast(s, highMin);
      for (int l = 0; l < 32; l += 2 * sm) {
        int at = i + 32 + l;
        even = highQuants(q, l).fma(d, m).fma(FloatVector.fromArray(s, x, at), even);
        odd = highQuants(q, l + sm).fma(d, m).fma(FloatVector.fromArray(s, x, at + sm), odd);
      }
    }
    // At 128 bits (byte-lane decoding) the tree of shuffles put this compilation over C2's node
    // cutoff: the kernel stores the lanes itself and adds them in the same order.
    if (VectorLanes.LANES == 4) {
      even.add(odd).intoArray(scratch, 0);
      return VectorLanes.sumLanes(scratch);
    }
    return VectorLanes.sum(even, odd);
  }
}

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
 * {@code block_q6_K} (210 bytes per 256 elements): 128 bytes {@code ql} of low nibbles, 64 bytes
 * {@code qh} of 2-bit high parts, 16 int8 scales (one per 16 elements), then f16 {@code d}. In each
 * half of 128 elements, element {@code 32t + l} takes a nibble of {@code ql[l + 32 * (t & 1)]} (low
 * for {@code t < 2}) and bits {@code 2t, 2t+1} of {@code qh[l]}; {@code w = d * scale * (q - 32)}.
 *
 * <p>At 512 bits a vector is one group of sixteen, and the kernels decode in 32-bit lanes a column
 * at a time ({@link #columnDot}): the sixteen bytes of {@code qh} at {@code l} and the two runs of
 * {@code ql} they pair with are widened once and give the four runs {@code t} of that column. Byte
 * lanes cost more on x86, which has no byte shifts (each became four instructions), and each {@code
 * qh} byte was loaded and shifted once per run: the byte-lane kernel ran at 10 GFLOP/s per thread,
 * a fifth of Q4_0's, and the output matrix of a Q4_0 file (Q6_K) took a fifth of decode. A column's
 * two runs of {@code ql} are widened once for the four runs that read them (x86 widens on its one
 * shuffle port): 6% faster on an Emerald Rapids core (2048 x 2048, one thread).
 *
 * <p>At 256 bits (AVX2) the same columns, eight weights wide, decode a whole block into the scratch
 * ({@link #eights}) and the row kernel then multiplies it in element order. The two chains cannot
 * take a column's four runs as they come at eight lanes (the even chain takes columns 0 and 16 of
 * each run in turn), and a kernel that decoded and multiplied eight weights at a time, in element
 * order, either crossed C2's node cutoff (four copies) or kept its running sums on the stack (one
 * loop of pairs). One Zen 3 thread, the output matrix of a llama32-1b file (Q6_K, 256 rows in
 * cache): 1.9 Gweights/s with byte lanes, 3.6-3.7 so.
 */
final class Q6KMatrix extends WeightMatrix {
  private static final int QK = 256;
  private static final int GROUP = 16;
  private static final int BYTES = 210;
  private static final int QH = 128;
  private static final int SCALES = 192;
  private static final int D = 208;

  Q6KMatrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q6_K, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block + D);
      for (int n = 0; n < 2; n++) {
        long ql = block + 64L * n;
        long qh = block + QH + 32L * n;
        long sc = block + SCALES + 8L * n;
        int y = at + b * QK + 128 * n;
        for (int l = 0; l < 32; l++) {
          int is = l / 16;
          int h = Bytes.u8(data, qh + l);
          int q1 = ((Bytes.u8(data, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
          int q2 = ((Bytes.u8(data, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
          int q3 = ((Bytes.u8(data, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
          int q4 = ((Bytes.u8(data, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
          out[y + l] = d * Bytes.s8(data, sc + is) * q1;
          out[y + l + 32] = d * Bytes.s8(data, sc + is + 2) * q2;
          out[y + l + 64] = d * Bytes.s8(data, sc + is + 4) * q3;
          out[y + l + 96] = d * Bytes.s8(data, sc + is + 6) * q4;
        }
      }
    }
  }

  /** Group {@code g} (16 elements) has scale {@code scales[g]}: ggml's {@code sc[is + 2t]}. */
  private float groupScale(long block, int g) {
    return Bytes.f16(data, block + D) * Bytes.s8(data, block + SCALES + g);
  }

  /** Where element {@code e}'s nibble lives in {@code ql}. */
  private static int lowAt(int e) {
    return 64 * (e >> 7) + 32 * ((e >> 5) & 1) + (e & 31);
  }

  /** Where element {@code e}'s high bits live in {@code qh}. */
  private static int highAt(int e) {
    return 32 * (e >> 7) + (e & 31);
  }

  private FloatVector quants(long block, int e) {
    return quants(block, (e >> 5) & 3, lowAt(e), highAt(e));
  }

  /** Run {@code t} of a half: its nibbles at {@code ql + at}, its high bits at {@code qh + hat}. */
  private FloatVector quants(long block, int t, int at, int hat) {
    ByteVector bits = VectorLanes.bytes(data, block, at);
    ByteVector nibbles = t < 2 ? VectorLanes.low(bits) : VectorLanes.high(bits);
    ByteVector high = VectorLanes.bytes(data, block + QH, hat);
    ByteVector q = nibbles.or(VectorLanes.field(high, 2 * t, 3, 4)).sub((byte) 32);
    return VectorLanes.widen(q, at);
  }

  /**
   * The sixteen group scales of a block, {@link #groupScale} of each, into {@code out[at, at +
   * 16)}: widened as vectors at eight and sixteen lanes, below that read as two words. (At eight
   * lanes the scalar conversions cost more than the block's decoding: 4.4-4.5 against 3.4
   * Gweights/s for the block decoding alone, one Zen 3 thread.)
   */
  private void scales(long block, float[] out, int at) {
    float d = Bytes.f16(data, block + D);
    if (COLUMNS || EIGHTS) {
      for (int g = 0; g < QK / GROUP; g += VectorLanes.LANES) {
        ((FloatVector)
                VectorLanes.signedInts(data, block + SCALES + g).convert(VectorOperators.I2F, 0))
            .mul(d)
            .intoArray(out, at + g);
      }
      return;
    }
    long lo = data.get(Bytes.LONG_LE, block + SCALES);
    long hi = data.get(Bytes.LONG_LE, block + SCALES + 8);
    for (int g = 0; g < 8; g++) {
      out[at + g] = d * (byte) (lo >>> (8 * g));
      out[at + 8 + g] = d * (byte) (hi >>> (8 * g));
    }
  }

  /** The sixteen-lane decoding ({@link #columnDot}) in place of the byte-lane one. */
  private static final boolean COLUMNS = VectorLanes.LANES == 16;

  /**
   * Column {@code c} (0 or 16) of half {@code n}: runs {@code t = 0..3}, elements {@code 128n + 32t
   * + c + [0, 16)}, each decoded and multiplied with {@code x[i + 32t + c ...]} into {@code acc} in
   * that order; {@code scales[at + 2t]} is run {@code t}'s group scale. Each run takes two bits of
   * the bytes at {@code qh + c}, widened once. Written as a loop over the runs, and called from one
   * place in each kernel, so that each vector operation is compiled once: four runs written out, or
   * a call per column, crossed C2's NodeCountInliningCutoff (and vectors kept in an array are
   * boxed); the kernel then ran at half the speed.
   */
  private FloatVector columnDot(
      long block, int n, int c, float[] scales, int at, float[] x, int i, FloatVector acc) {
    long ql = block + 64L * n + c;
    IntVector h =
        VectorLanes.unsignedInts(data, block + QH + 32L * n + c).lanewise(VectorOperators.LSHL, 4);
    IntVector near = VectorLanes.unsignedInts(data, ql);
    IntVector far = VectorLanes.unsignedInts(data, ql + 32);
    for (int t = 0; t < 4; t++) {
      // Run t: the nibble of the bytes at ql + 32 (t & 1) (low for t < 2), bits 2t and 2t + 1 of
      // the qh bytes above it; then (q - 32) * scale, exactly the scalar decoding's float. The
      // bytes are widened once per column, not once per run: x86 widens on its one shuffle port;
      // and h holds them shifted up by four, once per column, so that each run's two bits are
      // one shift and one mask from their place (3-5% faster than shift, mask, shift per run, one
      // Zen 5 thread). Not split into helpers: each call level counts toward C2's MaxInlineLevel,
      // which the Vector API's own depth nearly fills, and past it the vectors are boxed. (A
      // fused q * scale - 32 * scale in place of the subtraction and the product, exact too, ran
      // 12% slower: twice the scale broadcasts.) The high nibbles (t >= 2) of the zero-extended
      // bytes are under 16 once shifted, so they take no mask: 3-6% faster on a Zen 4 thread, where
      // the rate follows the 512-bit instructions spent per run.
      IntVector bytes = (t & 1) == 0 ? near : far;
      IntVector low = t < 2 ? bytes.and(0x0F) : bytes.lanewise(VectorOperators.LSHR, 4);
      IntVector q = h.lanewise(VectorOperators.LSHR, 2 * t).and(0x30).or(low).sub(32);
      FloatVector w = ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(scales[at + 2 * t]);
      acc = w.fma(FloatVector.fromArray(VectorLanes.SPECIES, x, i + c + 32 * t), acc);
    }
    return acc;
  }

  /**
   * {@link #columnDot}'s decoding, the weights stored at {@code out[y + 32t]}; at eight lanes
   * ({@link #eights}) the columns are 0, 8, 16 and 24. The decoding lines are the same as there and
   * not shared on purpose: a helper between them is one more call level, and the kernel then
   * crossed C2's MaxInlineLevel and boxed.
   */
  private void columnStore(long block, int n, int c, float[] scales, int at, float[] out, int y) {
    long ql = block + 64L * n + c;
    IntVector h =
        VectorLanes.unsignedInts(data, block + QH + 32L * n + c).lanewise(VectorOperators.LSHL, 4);
    IntVector near = VectorLanes.unsignedInts(data, ql);
    IntVector far = VectorLanes.unsignedInts(data, ql + 32);
    for (int t = 0; t < 4; t++) {
      IntVector bytes = (t & 1) == 0 ? near : far;
      IntVector low = t < 2 ? bytes.and(0x0F) : bytes.lanewise(VectorOperators.LSHR, 4);
      IntVector q = h.lanewise(VectorOperators.LSHR, 2 * t).and(0x30).or(low).sub(32);
      ((FloatVector) q.convert(VectorOperators.I2F, 0))
          .mul(scales[at + 2 * t])
          .intoArray(out, y + 32 * t);
    }
  }

  /** The eight-lane decoding ({@link #eights}) in place of the byte-lane one. */
  private static final boolean EIGHTS = VectorLanes.LANES == 8;

  /**
   * Block {@code block} decoded into {@code out[y, y + 256)} at eight lanes, by {@link
   * #columnStore} a column at a time, its group scales at {@code scales[at, at + 16)}. One call in
   * a loop: four written out crossed C2's node cutoff, and the last two were called, not inlined.
   */
  private void eights(long block, float[] scales, int at, float[] out, int y) {
    for (int k = 0; k < 8; k++) {
      int n = k >> 2;
      int c = 8 * (k & 3);
      columnStore(block, n, c, scales, at + 8 * n + c / GROUP, out, y + 128 * n + c);
    }
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    if (COLUMNS) {
      float[] scales = new float[QK / GROUP];
      for (int b = 0; b < elements / QK; b++) {
        long block = offset + (long) b * BYTES;
        scales(block, scales, 0);
        for (int n = 0; n < 2; n++) {
          int y = at + b * QK + 128 * n;
          columnStore(block, n, 0, scales, 8 * n, out, y);
          columnStore(block, n, GROUP, scales, 8 * n + 1, out, y + GROUP);
        }
      }
      return;
    }
    if (EIGHTS) {
      float[] scales = new float[QK / GROUP];
      for (int b = 0; b < elements / QK; b++) {
        long block = offset + (long) b * BYTES;
        scales(block, scales, 0);
        eights(block, scales, 0, out, at + b * QK);
      }
      return;
    }
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      for (int g = 0; g < QK / GROUP; g++) {
        FloatVector d = FloatVector.broadcast(s, groupScale(block, g));
        for (int e = g * GROUP; e < (g + 1) * GROUP; e += s.length()) {
          quants(block, e).mul(d).intoArray(out, at + b * QK + e);
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
    int sl = s.length();
    FloatVector even = FloatVector.zero(s);
    FloatVector odd = FloatVector.zero(s);
    if (COLUMNS) {
      // Vector 8n + 2t + c/16 of a block is run t of column c in half n: column 0 holds the even
      // vectors, column 16 the odd ones, each in element order, as the two chains take them.
      long block = offset;
      for (int i = 0; i < cols; i += QK, block += BYTES) {
        scales(block, scratch, sl);
        for (int k = 0; k < 4; k++) {
          int n = k >> 1;
          int c = (k & 1) * GROUP;
          FloatVector acc = c == 0 ? even : odd;
          acc = columnDot(block, n, c, scratch, sl + 8 * n + (k & 1), x, i + 128 * n, acc);
          if (c == 0) {
            even = acc;
          } else {
            odd = acc;
          }
        }
      }
      return VectorLanes.sum(even, odd, scratch);
    }
    if (EIGHTS) {
      // Each block decoded into the scratch after its scales, then multiplied in element order.
      // The lanes are summed from the scratch: the shuffle tree's call was past the node cutoff,
      // and its boxed vectors made the loop allocate every pair of vectors.
      long block = offset;
      int w = sl + GROUP;
      for (int i = 0; i < cols; i += QK, block += BYTES) {
        scales(block, scratch, sl);
        eights(block, scratch, sl, scratch, w);
        for (int e = 0; e < QK; e += 2 * sl) {
          FloatVector first = FloatVector.fromArray(s, scratch, w + e);
          even = first.fma(FloatVector.fromArray(s, x, i + e), even);
          FloatVector second = FloatVector.fromArray(s, scratch, w + e + sl);
          odd = second.fma(FloatVector.fromArray(s, x, i + e + sl), odd);
        }
      }
      even.add(odd).intoArray(scratch, 0);
      return VectorLanes.sumLanes(scratch);
    }
    for (int b = 0; b < cols / QK; b++) {
      long block = offset + (long) b * BYTES;
      scales(block, scratch, sl);
      // In element order: each half's four runs of 32, the run t counted by its own loop rather
      // than worked out from the element, and the scales decoded once per block rather than
      // read per vector: 40% faster on AVX2. (Writing the four runs out as four loops made the
      // method too big for the JIT to inline its decoding, and ran at a third of the speed.)
      for (int n = 0; n < 2; n++) {
        int i = b * QK + 128 * n;
        for (int t = 0; t < 4; t++) {
          for (int l = 0; l < 32; l += 2 * sl) {
            even = term(block, n, t, l, x, i, scratch, even);
            odd = term(block, n, t, l + sl, x, i, scratch, odd);
          }
        }
      }
    }
    return VectorLanes.sum(even, odd, scratch);
  }

  /**
   * {@code acc + w * x} for element {@code 128n + 32t + l} of the block ({@code lanes} of them),
   * {@code x} from {@code i} (the half's first element), the group scales in {@code scales} after
   * the lanes.
   */
  private FloatVector term(
      long block, int n, int t, int l, float[] x, int i, float[] scales, FloatVector acc) {
    int e = 32 * t + l;
    FloatVector d =
        FloatVector.broadcast(
            VectorLanes.SPECIES, scales[VectorLanes.LANES + (128 * n + e) / GROUP]);
    FloatVector w = quants(block, t, 64 * n + 32 * (t & 1) + l, 32 * n + l).mul(d);
    return w.fma(FloatVector.fromArray(VectorLanes.SPECIES, x, i + e), acc);
  }
}

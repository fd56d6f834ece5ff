package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code block_q6_K} (210 bytes per 256 elements): 128 bytes {@code ql} of low nibbles, 64 bytes
 * {@code qh} of 2-bit high parts, 16 int8 scales (one per 16 elements), then f16 {@code d}. In each
 * half of 128 elements, element {@code 32t + l} takes a nibble of {@code ql[l + 32 * (t & 1)]} (low
 * for {@code t < 2}) and bits {@code 2t, 2t+1} of {@code qh[l]}; {@code w = d * scale * (q - 32)}.
 */
final class Q6KMatrix extends WeightMatrix {
  private static final int QK = 256;
  private static final int GROUP = 16;
  private static final int BYTES = 210;
  private static final int QH = 128;
  private static final int SCALES = 192;
  private static final int D = 208;

  Q6KMatrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.Q6_K, data, rows, cols, simd);
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
   * 16)}, the int8 scales read as two words.
   */
  private void scales(long block, float[] out, int at) {
    float d = Bytes.f16(data, block + D);
    long lo = data.get(Bytes.LONG_LE, block + SCALES);
    long hi = data.get(Bytes.LONG_LE, block + SCALES + 8);
    for (int g = 0; g < 8; g++) {
      out[at + g] = d * (byte) (lo >>> (8 * g));
      out[at + 8 + g] = d * (byte) (hi >>> (8 * g));
    }
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
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

package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Turns float rows into the bytes of a ggml type: the writer's side of {@link WeightMatrix}.
 *
 * <p>The formats are ggml's exactly (a row written here reads back through {@code dequantizeRow}
 * and through llama.cpp alike); the choice of scales is simpler than llama.cpp's reference
 * quantizers, which search for the scale that minimises the squared error: here each group takes
 * the scale that spans its range (Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 as {@code quantize_row_*_ref} do;
 * Q4_K, Q5_K and Q6_K by the plain range rule, without the search). The round-trip error is
 * therefore at most half a quantisation step plus the rounding of the 6- and 8-bit sub-scales,
 * which the tests bound. Scalar code: quantising is done once, when a file is made.
 */
public final class Quantizer {
  private static final ValueLayout.OfShort SHORT_LE = Bytes.SHORT_LE;
  private static final ValueLayout.OfFloat FLOAT_LE = Bytes.FLOAT_LE;

  private Quantizer() {}

  /**
   * Writes {@code n} values of {@code src} (from {@code srcOffset}; {@code n} a whole number of
   * blocks) as {@code type} into {@code dst} at byte {@code dstOffset}.
   *
   * @throws IllegalArgumentException if {@code n} is not a whole number of blocks
   */
  public static void quantize(
      GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
    if (n % type.blockSize() != 0) {
      throw new IllegalArgumentException(
          n + " values are not a whole number of " + type + " blocks of " + type.blockSize());
    }
    int blocks = n / type.blockSize();
    long bytes = type.bytesPerBlock();
    for (int b = 0; b < blocks; b++) {
      int at = srcOffset + b * type.blockSize();
      long out = dstOffset + b * bytes;
      switch (type) {
        case F32 -> dst.set(FLOAT_LE, out, src[at]);
        case F16 -> dst.set(SHORT_LE, out, Float.floatToFloat16(src[at]));
        case BF16 -> dst.set(SHORT_LE, out, bf16(src[at]));
        case Q8_0 -> q8_0(src, at, dst, out);
        case Q4_0 -> q4_0(src, at, dst, out);
        case Q4_1 -> q4_1(src, at, dst, out);
        case Q5_0 -> q5_0(src, at, dst, out);
        case Q5_1 -> q5_1(src, at, dst, out);
        case Q4_K -> q4_k(src, at, dst, out);
        case Q6_K -> q6_k(src, at, dst, out);
        case Q5_K -> q5_k(src, at, dst, out);
      }
    }
  }

  /** bfloat16 rounded to nearest even, NaN kept quiet: ggml's {@code ggml_compute_fp32_to_bf16}. */
  static short bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 64);
    }
    return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
  }

  /** C's {@code roundf}: halves away from zero. */
  private static int round(float v) {
    return (int) Math.copySign(Math.floor(Math.abs(v) + 0.5f), v);
  }

  private static void putF16(MemorySegment dst, long at, float value) {
    dst.set(SHORT_LE, at, Float.floatToFloat16(value));
  }

  private static void putByte(MemorySegment dst, long at, int value) {
    dst.set(ValueLayout.JAVA_BYTE, at, (byte) value);
  }

  /** {@code quantize_row_q8_0_ref}. */
  private static void q8_0(float[] x, int at, MemorySegment dst, long out) {
    float amax = 0f;
    for (int i = 0; i < 32; i++) {
      amax = Math.max(amax, Math.abs(x[at + i]));
    }
    float d = amax / 127f;
    float id = d != 0f ? 1f / d : 0f;
    putF16(dst, out, d);
    for (int i = 0; i < 32; i++) {
      putByte(dst, out + 2 + i, round(x[at + i] * id));
    }
  }

  /** {@code quantize_row_q4_0_ref}: the value of largest magnitude maps to -8. */
  private static void q4_0(float[] x, int at, MemorySegment dst, long out) {
    nibbles(symmetric(x, at, 8, dst, out), dst, out + 2);
  }

  /** {@code quantize_row_q4_1_ref}: min and range of each block of 32. */
  private static void q4_1(float[] x, int at, MemorySegment dst, long out) {
    nibbles(fromMin(x, at, 15, dst, out), dst, out + 4);
  }

  /** {@code quantize_row_q5_0_ref}: the value of largest magnitude maps to -16. */
  private static void q5_0(float[] x, int at, MemorySegment dst, long out) {
    fiveBits(symmetric(x, at, 16, dst, out), dst, out + 2);
  }

  /** {@code quantize_row_q5_1_ref}: min and range of each block of 32. */
  private static void q5_1(float[] x, int at, MemorySegment dst, long out) {
    fiveBits(fromMin(x, at, 31, dst, out), dst, out + 4);
  }

  /**
   * The quants {@code 0 .. 2 * half - 1} of a block of 32 whose value of largest magnitude maps to
   * {@code -half} (Q4_0: 8, Q5_0: 16); its scale written at {@code out}.
   */
  private static int[] symmetric(float[] x, int at, int half, MemorySegment dst, long out) {
    float amax = 0f;
    float max = 0f;
    for (int i = 0; i < 32; i++) {
      float v = x[at + i];
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    float d = max / -half;
    float id = d != 0f ? 1f / d : 0f;
    putF16(dst, out, d);
    int[] q = new int[32];
    for (int i = 0; i < 32; i++) {
      q[i] = Math.min(2 * half - 1, (int) (x[at + i] * id + (half + 0.5f)));
    }
    return q;
  }

  /**
   * The quants {@code 0 .. levels} of a block of 32 from its min over its range (Q4_1: 15, Q5_1:
   * 31); the scale and the min written at {@code out}.
   */
  private static int[] fromMin(float[] x, int at, int levels, MemorySegment dst, long out) {
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < 32; i++) {
      min = Math.min(min, x[at + i]);
      max = Math.max(max, x[at + i]);
    }
    float d = (max - min) / levels;
    float id = d != 0f ? 1f / d : 0f;
    putF16(dst, out, d);
    putF16(dst, out + 2, min);
    int[] q = new int[32];
    for (int i = 0; i < 32; i++) {
      q[i] = Math.min(levels, (int) ((x[at + i] - min) * id + 0.5f));
    }
    return q;
  }

  /** The low nibbles of 32 quants: quant {@code j} and {@code j + 16} in byte {@code j}. */
  private static void nibbles(int[] q, MemorySegment dst, long at) {
    for (int j = 0; j < 16; j++) {
      putByte(dst, at + j, (q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
    }
  }

  /**
   * Q5_0's and Q5_1's quants from {@code at}: the fifth bit of quant {@code j} in bit {@code j} of
   * a little-endian word, then the low nibbles.
   */
  private static void fiveBits(int[] q, MemorySegment dst, long at) {
    int qh = 0;
    for (int j = 0; j < 32; j++) {
      qh |= ((q[j] >> 4) & 1) << j;
    }
    dst.set(Bytes.INT_LE, at, qh);
    nibbles(q, dst, at + 4);
  }

  /** {@code block_q4_K}: 4-bit quants against the sub-block scales and mins of {@link #kScales}. */
  private static void q4_k(float[] x, int at, MemorySegment dst, long out) {
    int[] q = kScales(x, at, dst, out, 15);
    for (int j = 0; j < 4; j++) {
      for (int l = 0; l < 32; l++) {
        putByte(dst, out + 16 + 32 * j + l, q[64 * j + l] | (q[64 * j + 32 + l] << 4));
      }
    }
  }

  /**
   * {@code block_q5_K}: 5-bit quants against the sub-block scales and mins of {@link #kScales}; the
   * low nibbles packed as Q4_K packs them, the fifth bit of element {@code l} of sub-block {@code
   * j} in bit {@code j} of {@code qh[l]}.
   */
  private static void q5_k(float[] x, int at, MemorySegment dst, long out) {
    int[] q = kScales(x, at, dst, out, 31);
    for (int l = 0; l < 32; l++) {
      int high = 0;
      for (int j = 0; j < 8; j++) {
        high |= (q[32 * j + l] >> 4) << j;
      }
      putByte(dst, out + 16 + l, high);
    }
    for (int j = 0; j < 4; j++) {
      for (int l = 0; l < 32; l++) {
        int lo = q[64 * j + l] & 0xF;
        int hi = q[64 * j + 32 + l] & 0xF;
        putByte(dst, out + 48 + 32 * j + l, lo | (hi << 4));
      }
    }
  }

  /**
   * The head that {@code block_q4_K} and {@code block_q5_K} share: per sub-block of 32 the scale
   * {@code (max - min) / levels} and the min {@code -min} (min clamped to at most 0, as ggml does),
   * both quantised to 6 bits against the block's f16 {@code d} and {@code dmin}, written with the
   * twelve packed scale bytes at {@code out}. Returns the 256 quants in [0, levels], taken against
   * the rounded scales.
   */
  private static int[] kScales(float[] x, int at, MemorySegment dst, long out, int levels) {
    float[] scales = new float[8];
    float[] mins = new float[8];
    float maxScale = 0f;
    float maxMin = 0f;
    for (int j = 0; j < 8; j++) {
      float min = 0f;
      float max = 0f;
      for (int i = 0; i < 32; i++) {
        float v = x[at + 32 * j + i];
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      scales[j] = (max - min) / levels;
      mins[j] = -min;
      maxScale = Math.max(maxScale, scales[j]);
      maxMin = Math.max(maxMin, mins[j]);
    }
    float d = Float.float16ToFloat(Float.floatToFloat16(maxScale / 63f));
    float dmin = Float.float16ToFloat(Float.floatToFloat16(maxMin / 63f));
    putF16(dst, out, d);
    putF16(dst, out + 2, dmin);
    int[] ls = new int[8];
    int[] lm = new int[8];
    for (int j = 0; j < 8; j++) {
      // Round the scale up so that the sub-block's range still fits in its steps.
      ls[j] = d > 0f ? Math.min(63, (int) Math.ceil(scales[j] / d)) : 0;
      lm[j] = dmin > 0f ? Math.min(63, round(mins[j] / dmin)) : 0;
    }
    long sc = out + 4;
    for (int j = 0; j < 12; j++) {
      putByte(dst, sc + j, 0);
    }
    for (int j = 0; j < 8; j++) {
      if (j < 4) {
        putByte(dst, sc + j, ls[j]);
        putByte(dst, sc + j + 4, lm[j]);
      } else {
        putByte(dst, sc + j + 4, (ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
        int a = dst.get(ValueLayout.JAVA_BYTE, sc + j - 4) | ((ls[j] >> 4) << 6);
        putByte(dst, sc + j - 4, a);
        int b = dst.get(ValueLayout.JAVA_BYTE, sc + j) | ((lm[j] >> 4) << 6);
        putByte(dst, sc + j, b);
      }
    }
    int[] q = new int[256];
    for (int j = 0; j < 8; j++) {
      float dj = d * ls[j];
      float mj = dmin * lm[j];
      float id = dj != 0f ? 1f / dj : 0f;
      for (int i = 0; i < 32; i++) {
        q[32 * j + i] = Math.max(0, Math.min(levels, round((x[at + 32 * j + i] + mj) * id)));
      }
    }
    return q;
  }

  /**
   * {@code block_q6_K}: per group of 16 the signed scale that maps the value of largest magnitude
   * to -32, quantised to int8 against the block's f16 {@code d}; quants in [-32, 31] stored plus
   * 32.
   */
  private static void q6_k(float[] x, int at, MemorySegment dst, long out) {
    float[] scales = new float[16];
    float maxScale = 0f;
    float maxAbs = 0f;
    for (int g = 0; g < 16; g++) {
      float amax = 0f;
      float max = 0f;
      for (int i = 0; i < 16; i++) {
        float v = x[at + 16 * g + i];
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          max = v;
        }
      }
      scales[g] = max / -32f;
      if (Math.abs(scales[g]) > maxAbs) {
        maxAbs = Math.abs(scales[g]);
        maxScale = scales[g];
      }
    }
    float iscale = maxScale != 0f ? -128f / maxScale : 0f;
    float d = Float.float16ToFloat(Float.floatToFloat16(iscale != 0f ? 1f / iscale : 0f));
    dst.set(SHORT_LE, out + 208, Float.floatToFloat16(d));
    int[] q = new int[256];
    for (int g = 0; g < 16; g++) {
      int sc = Math.max(-128, Math.min(127, round(iscale * scales[g])));
      putByte(dst, out + 192 + g, sc);
      float dg = d * sc;
      float id = dg != 0f ? 1f / dg : 0f;
      for (int i = 0; i < 16; i++) {
        q[16 * g + i] = Math.max(-32, Math.min(31, round(x[at + 16 * g + i] * id))) + 32;
      }
    }
    for (int n = 0; n < 2; n++) {
      long ql = out + 64L * n;
      long qh = out + 128 + 32L * n;
      int y = 128 * n;
      for (int l = 0; l < 32; l++) {
        int q1 = q[y + l];
        int q2 = q[y + l + 32];
        int q3 = q[y + l + 64];
        int q4 = q[y + l + 96];
        putByte(dst, ql + l, (q1 & 0xF) | ((q3 & 0xF) << 4));
        putByte(dst, ql + l + 32, (q2 & 0xF) | ((q4 & 0xF) << 4));
        putByte(dst, qh + l, (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

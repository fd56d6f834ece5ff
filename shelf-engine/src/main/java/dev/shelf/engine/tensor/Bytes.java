package dev.shelf.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian scalar reads from weight segments (GGUF is little-endian, blocks unaligned). */
final class Bytes {
  static final ValueLayout.OfShort SHORT_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong LONG_LE =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfFloat FLOAT_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Bytes() {}

  /** The IEEE half at {@code offset}, widened exactly (subnormals, infinities and NaN kept). */
  static float f16(MemorySegment segment, long offset) {
    return Float.float16ToFloat(segment.get(SHORT_LE, offset));
  }

  /** The bfloat16 at {@code offset}, widened exactly: the upper half of a single. */
  static float bf16(MemorySegment segment, long offset) {
    return bf16ToFloat(segment.get(SHORT_LE, offset));
  }

  /** Widens bfloat16 bits to a float, as ggml's {@code ggml_compute_bf16_to_fp32}. */
  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** The unsigned byte at {@code offset}. */
  static int u8(MemorySegment segment, long offset) {
    return segment.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
  }

  /** The signed byte at {@code offset}. */
  static int s8(MemorySegment segment, long offset) {
    return segment.get(ValueLayout.JAVA_BYTE, offset);
  }
}

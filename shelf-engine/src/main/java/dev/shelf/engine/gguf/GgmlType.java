package dev.shelf.engine.gguf;

import java.util.Arrays;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The ggml tensor types this engine reads and writes, with the ids and block layouts of ggml's
 * {@code enum ggml_type} and the block structs of {@code ggml-common.h}. A block holds {@link
 * #blockSize()} consecutive elements of a row in {@link #bytesPerBlock()} bytes; a row's length
 * (the first dimension) must be a whole number of blocks.
 */
public enum GgmlType {
  /** IEEE single precision. */
  F32(0, 1, 4),
  /** IEEE half precision. */
  F16(1, 1, 2),
  /** {@code block_q4_0}: f16 scale, 32 4-bit quants. */
  Q4_0(2, 32, 2 + 16),
  /** {@code block_q4_1}: f16 scale, f16 min, 32 4-bit quants. */
  Q4_1(3, 32, 2 + 2 + 16),
  /** {@code block_q5_0}: f16 scale, 32 fifth bits, 32 low nibbles. */
  Q5_0(6, 32, 2 + 4 + 16),
  /** {@code block_q5_1}: f16 scale, f16 min, 32 fifth bits, 32 low nibbles. */
  Q5_1(7, 32, 2 + 2 + 4 + 16),
  /** {@code block_q8_0}: f16 scale, 32 int8 quants. */
  Q8_0(8, 32, 2 + 32),
  /** {@code block_q4_K}: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 256 4-bit quants. */
  Q4_K(12, 256, 2 + 2 + 12 + 128),
  /** {@code block_q5_K}: f16 d, f16 dmin, 12 bytes of scales, 32 bytes of high bits, 128 low. */
  Q5_K(13, 256, 2 + 2 + 12 + 32 + 128),
  /** {@code block_q6_K}: 128 bytes low 4 bits, 64 high 2 bits, 16 int8 scales, f16 d. */
  Q6_K(14, 256, 128 + 64 + 16 + 2),
  /** bfloat16: the upper half of an IEEE single. */
  BF16(30, 1, 2);

  /** Names of ggml types that exist but this engine does not support, for error messages. */
  private static final Map<Integer, String> UNSUPPORTED =
      Map.ofEntries(
          Map.entry(9, "Q8_1"),
          Map.entry(10, "Q2_K"),
          Map.entry(11, "Q3_K"),
          Map.entry(15, "Q8_K"),
          Map.entry(16, "IQ2_XXS"),
          Map.entry(17, "IQ2_XS"),
          Map.entry(18, "IQ3_XXS"),
          Map.entry(19, "IQ1_S"),
          Map.entry(20, "IQ4_NL"),
          Map.entry(21, "IQ3_S"),
          Map.entry(22, "IQ2_S"),
          Map.entry(23, "IQ4_XS"),
          Map.entry(24, "I8"),
          Map.entry(25, "I16"),
          Map.entry(26, "I32"),
          Map.entry(27, "I64"),
          Map.entry(28, "F64"),
          Map.entry(29, "IQ1_M"),
          Map.entry(34, "TQ1_0"),
          Map.entry(35, "TQ2_0"),
          Map.entry(39, "MXFP4"));

  private static final @Nullable GgmlType[] BY_ID = new GgmlType[31];

  static {
    for (GgmlType type : values()) {
      BY_ID[type.id] = type;
    }
  }

  private final int id;
  private final int blockSize;
  private final int bytesPerBlock;

  GgmlType(int id, int blockSize, int bytesPerBlock) {
    this.id = id;
    this.blockSize = blockSize;
    this.bytesPerBlock = bytesPerBlock;
  }

  /** The id ggml and GGUF files use for this type. */
  public int id() {
    return id;
  }

  /** Elements per block (1 for the float types). */
  public int blockSize() {
    return blockSize;
  }

  /** Bytes per block. */
  public int bytesPerBlock() {
    return bytesPerBlock;
  }

  /** The type with this ggml id, or null when the id is unknown or unsupported. */
  public static @Nullable GgmlType byId(int id) {
    return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
  }

  /**
   * The type with this ggml id.
   *
   * @throws GgufException naming the id (and the type, when ggml knows it) if it is not supported
   */
  public static GgmlType of(int id) {
    GgmlType type = byId(id);
    if (type != null) {
      return type;
    }
    String name = UNSUPPORTED.get(id);
    throw new GgufException(
        name != null
            ? "ggml type " + name + " (id " + id + ") is not supported; supported: " + supported()
            : "unknown ggml type id " + id + "; supported: " + supported());
  }

  /**
   * Bytes taken by a tensor of this type and these dimensions (ggml order: {@code dims[0]} is the
   * row length, the fastest-varying one).
   *
   * @throws GgufException if a dimension is negative, the row length is not a whole number of
   *     blocks, or the size overflows a long
   */
  public long byteSize(long... dims) {
    if (dims.length == 0) {
      throw new GgufException("a tensor needs at least one dimension");
    }
    long elements = 1;
    for (long dim : dims) {
      if (dim < 0) {
        throw new GgufException("dimension " + dim + " is negative in " + Arrays.toString(dims));
      }
      try {
        elements = Math.multiplyExact(elements, dim);
      } catch (ArithmeticException e) {
        throw new GgufException("element count of " + Arrays.toString(dims) + " overflows", e);
      }
    }
    if (dims[0] % blockSize != 0) {
      throw new GgufException(
          "row length "
              + dims[0]
              + " is not a multiple of the "
              + name()
              + " block size "
              + blockSize);
    }
    try {
      return Math.multiplyExact(elements / blockSize, (long) bytesPerBlock);
    } catch (ArithmeticException e) {
      throw new GgufException("byte size of " + Arrays.toString(dims) + " overflows", e);
    }
  }

  private static String supported() {
    StringBuilder sb = new StringBuilder();
    for (GgmlType type : values()) {
      sb.append(sb.isEmpty() ? "" : ", ").append(type.name());
    }
    return sb.toString();
  }
}

package dev.shelf.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.Set;

/**
 * Parses the header, metadata and tensor table of a GGUF file held in a {@link MemorySegment}.
 *
 * <p>Every read goes through {@link #need}, which checks the bytes are there before touching them,
 * so a truncated file becomes a {@link GgufException} naming what was being read and where, never
 * an {@code IndexOutOfBoundsException}. Counts and lengths read from the file are checked against
 * the bytes left before anything is allocated for them (an array of n elements needs at least n
 * times its element's minimum size), so a corrupt count cannot ask for gigabytes; nesting of arrays
 * is capped so that a crafted file cannot overflow the stack.
 */
final class GgufParser {
  /** "GGUF" read as a little-endian u32. */
  static final int MAGIC = 0x46554747;

  static final int DEFAULT_ALIGNMENT = 32;
  static final int MAX_DIMS = 4;
  static final String ALIGNMENT_KEY = "general.alignment";

  private static final int MAX_NESTING = 32;
  private static final long MIN_KV_BYTES = 8 + 4 + 1;
  private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

  static final ValueLayout.OfShort I16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfDouble F64 =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** What a parse yields. */
  record Parsed(
      int version,
      int alignment,
      long dataOffset,
      GgufMetadata metadata,
      List<GgufTensorInfo> tensors) {}

  private final MemorySegment file;
  private final String source;
  private final long size;
  private long pos;

  /** What is being read, for error messages; {@link #element} adds an array index when >= 0. */
  private String what = "the header";

  private long element = -1;

  private GgufParser(MemorySegment file, String source) {
    this.file = file;
    this.source = source;
    this.size = file.byteSize();
  }

  static Parsed parse(MemorySegment file, String source) {
    return new GgufParser(file, source).parse();
  }

  private Parsed parse() {
    int magic = u32();
    if (magic != MAGIC) {
      pos = 0;
      throw error("bad magic " + describeMagic(magic) + ", expected \"GGUF\": not a GGUF file");
    }
    int version = u32();
    if (version != 2 && version != 3) {
      pos -= 4;
      int swapped = Integer.reverseBytes(version);
      throw error(
          swapped >= 1 && swapped <= 3
              ? "big-endian GGUF files are not supported"
              : "unsupported GGUF version "
                  + Integer.toUnsignedString(version)
                  + " (supported: 2, 3)");
    }
    what = "the tensor count";
    long tensorCount = u64();
    what = "the metadata count";
    long kvCount = u64();
    pos = 8;
    what = "the tensor count";
    checkCount(tensorCount, MIN_TENSOR_INFO_BYTES, "tensor count");
    pos = 16;
    what = "the metadata count";
    checkCount(kvCount, MIN_KV_BYTES, "metadata count");
    pos = 24;
    what = "the header";
    if (tensorCount * MIN_TENSOR_INFO_BYTES + kvCount * MIN_KV_BYTES > size - pos) {
      throw error(
          "truncated or corrupt: "
              + tensorCount
              + " tensors and "
              + kvCount
              + " metadata keys cannot fit in the "
              + (size - pos)
              + " bytes left");
    }

    SequencedMap<String, GgufValue> values = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      what = "metadata key #" + i;
      long keyStart = pos;
      String key = string();
      if (values.containsKey(key)) {
        pos = keyStart;
        throw error("duplicate metadata key '" + key + "'");
      }
      what = "the value of metadata key '" + key + "'";
      GgufValueType type = valueType();
      values.put(key, value(type, 0));
    }
    GgufMetadata metadata = new GgufMetadata(source, values);
    int alignment = alignment(metadata);

    List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 4096));
    Set<String> names = new HashSet<>();
    for (long i = 0; i < tensorCount; i++) {
      tensors.add(tensorInfo(i, names));
    }
    long dataOffset = align(pos, alignment);
    for (GgufTensorInfo tensor : tensors) {
      checkData(tensor, alignment, dataOffset);
    }
    return new Parsed(version, alignment, dataOffset, metadata, List.copyOf(tensors));
  }

  private GgufTensorInfo tensorInfo(long index, Set<String> names) {
    what = "tensor info #" + index;
    long start = pos;
    String name = string();
    if (!names.add(name)) {
      pos = start;
      throw error("duplicate tensor name '" + name + "'");
    }
    what = "tensor '" + name + "'";
    int nDims = u32();
    if (nDims < 1 || nDims > MAX_DIMS) {
      pos -= 4;
      throw error(
          "tensor has "
              + Integer.toUnsignedString(nDims)
              + " dimensions; 1 to "
              + MAX_DIMS
              + " are allowed");
    }
    long[] dims = new long[nDims];
    for (int d = 0; d < nDims; d++) {
      dims[d] = u64();
      if (dims[d] < 0) {
        pos -= 8;
        throw error("dimension " + d + " is " + Long.toUnsignedString(dims[d]) + ", too large");
      }
    }
    int typeId = u32();
    GgmlType type;
    try {
      type = GgmlType.of(typeId);
      type.byteSize(dims);
    } catch (GgufException e) {
      pos -= 4;
      throw error(e.getMessage() + " (dims " + Arrays.toString(dims) + ")");
    }
    long offset = u64();
    if (offset < 0) {
      pos -= 8;
      throw error("data offset " + Long.toUnsignedString(offset) + " is too large");
    }
    return new GgufTensorInfo(name, dims, type, offset);
  }

  private void checkData(GgufTensorInfo tensor, int alignment, long dataOffset) {
    if (tensor.offset() % alignment != 0) {
      throw new GgufException(
          source
              + ": tensor '"
              + tensor.name()
              + "' has data offset "
              + tensor.offset()
              + ", not a multiple of the alignment "
              + alignment);
    }
    long bytes = tensor.byteSize();
    // dataOffset <= size + alignment and offset < 2^63, so the sums below fit in 64 unsigned bits
    long start = dataOffset + tensor.offset();
    if (dataOffset > size || tensor.offset() > size - dataOffset || bytes > size - start) {
      throw new GgufException(
          source
              + ": truncated: the data of tensor '"
              + tensor.name()
              + "' ("
              + bytes
              + " bytes of "
              + tensor.type()
              + ") spans file offsets ["
              + Long.toUnsignedString(start)
              + ", "
              + Long.toUnsignedString(start + bytes)
              + ") but the file ends at "
              + size);
    }
  }

  private int alignment(GgufMetadata metadata) {
    GgufValue value = metadata.find(ALIGNMENT_KEY);
    if (value == null) {
      return DEFAULT_ALIGNMENT;
    }
    long alignment =
        value.type().isInteger()
            ? value.asLong(source + ": metadata key '" + ALIGNMENT_KEY + "'")
            : -1;
    if (alignment <= 0 || alignment > (1 << 30) || Long.bitCount(alignment) != 1) {
      throw new GgufException(
          source + ": " + ALIGNMENT_KEY + " must be a power of two but is " + value);
    }
    return (int) alignment;
  }

  static long align(long offset, int alignment) {
    return (offset + alignment - 1) / alignment * alignment;
  }

  private GgufValueType valueType() {
    int id = u32();
    GgufValueType type = GgufValueType.byId(id);
    if (type == null) {
      pos -= 4;
      throw error("unknown metadata value type id " + Integer.toUnsignedString(id));
    }
    return type;
  }

  private GgufValue value(GgufValueType type, int depth) {
    return switch (type) {
      case UINT8 -> GgufValue.wrapScalar(type, (long) Byte.toUnsignedInt(u8()));
      case INT8 -> GgufValue.wrapScalar(type, (long) u8());
      case UINT16 -> GgufValue.wrapScalar(type, (long) Short.toUnsignedInt(u16()));
      case INT16 -> GgufValue.wrapScalar(type, (long) u16());
      case UINT32 -> GgufValue.wrapScalar(type, Integer.toUnsignedLong(u32()));
      case INT32 -> GgufValue.wrapScalar(type, (long) u32());
      case UINT64, INT64 -> GgufValue.wrapScalar(type, u64());
      case FLOAT32 -> GgufValue.wrapScalar(type, Float.intBitsToFloat(u32()));
      case FLOAT64 -> GgufValue.wrapScalar(type, Double.longBitsToDouble(u64()));
      case BOOL -> GgufValue.wrapScalar(type, u8() != 0);
      case STRING -> GgufValue.wrapScalar(type, string());
      case ARRAY -> array(depth);
    };
  }

  private GgufValue array(int depth) {
    if (depth >= MAX_NESTING) {
      throw error("arrays nested deeper than " + MAX_NESTING + " levels");
    }
    GgufValueType elementType = valueType();
    long count = u64();
    if (count < 0 || count > (size - pos) / elementType.minBytes()) {
      pos -= 8;
      throw error(
          "truncated or corrupt: an array of "
              + Long.toUnsignedString(count)
              + " "
              + elementType
              + " elements cannot fit in the "
              + (size - pos - 8)
              + " bytes left");
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw error("an array of " + count + " elements is too long");
    }
    int n = (int) count;
    long bytes = count * elementType.minBytes();
    Object elements =
        switch (elementType) {
          case UINT8, INT8 -> bulk(new byte[n], ValueLayout.JAVA_BYTE, bytes);
          case BOOL -> {
            byte[] raw = bulk(new byte[n], ValueLayout.JAVA_BYTE, bytes);
            boolean[] bools = new boolean[n];
            for (int i = 0; i < n; i++) {
              bools[i] = raw[i] != 0;
            }
            yield bools;
          }
          case UINT16, INT16 -> bulk(new short[n], I16, bytes);
          case UINT32, INT32 -> bulk(new int[n], I32, bytes);
          case UINT64, INT64 -> bulk(new long[n], I64, bytes);
          case FLOAT32 -> bulk(new float[n], F32, bytes);
          case FLOAT64 -> bulk(new double[n], F64, bytes);
          case STRING -> {
            String[] strings = new String[n];
            for (int i = 0; i < n; i++) {
              element = depth == 0 ? i : element;
              strings[i] = string();
            }
            yield strings;
          }
          case ARRAY -> {
            GgufValue[] arrays = new GgufValue[n];
            for (int i = 0; i < n; i++) {
              element = depth == 0 ? i : element;
              arrays[i] = array(depth + 1);
            }
            yield arrays;
          }
        };
    if (depth == 0) {
      element = -1;
    }
    return GgufValue.wrapArray(elementType, elements);
  }

  private <A> A bulk(A array, ValueLayout layout, long bytes) {
    need(bytes);
    MemorySegment.copy(file, layout, pos, array, 0, Array.getLength(array));
    pos += bytes;
    return array;
  }

  private String string() {
    long length = u64();
    if (length < 0 || length > size - pos) {
      pos -= 8;
      throw error(
          "truncated or corrupt: string length "
              + Long.toUnsignedString(length)
              + " exceeds the "
              + (size - pos - 8)
              + " bytes left in the file");
    }
    if (length > Integer.MAX_VALUE - 8) {
      throw error("string length " + length + " is too long");
    }
    byte[] bytes = new byte[(int) length];
    MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, bytes, 0, bytes.length);
    pos += length;
    // Malformed UTF-8 becomes U+FFFD here; no known converter writes it, and the tokenizers
    // never need the raw bytes of a piece (byte tokens are spelled <0xNN>).
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Checks a count read at {@link #pos} against the bytes after it. */
  private void checkCount(long count, long minBytesEach, String name) {
    if (count < 0 || count > (size - pos - 8) / minBytesEach) {
      throw error(
          "truncated or corrupt: "
              + name
              + " "
              + Long.toUnsignedString(count)
              + " is impossible with "
              + (size - pos - 8)
              + " bytes left in the file");
    }
  }

  private byte u8() {
    need(1);
    return file.get(ValueLayout.JAVA_BYTE, pos++);
  }

  private short u16() {
    need(2);
    short v = file.get(I16, pos);
    pos += 2;
    return v;
  }

  private int u32() {
    need(4);
    int v = file.get(I32, pos);
    pos += 4;
    return v;
  }

  private long u64() {
    need(8);
    long v = file.get(I64, pos);
    pos += 8;
    return v;
  }

  private void need(long bytes) {
    if (bytes > size - pos) {
      throw error("truncated: " + bytes + " bytes needed but the file ends at " + size);
    }
  }

  private GgufException error(String problem) {
    String subject = element >= 0 ? "element " + element + " of " + what : what;
    return new GgufException(
        source + ": " + problem + " (reading " + subject + " at offset " + pos + ")");
  }

  private String describeMagic(int magic) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < 4; i++) {
      int c = (magic >>> (8 * i)) & 0xFF;
      sb.append(
          c >= 0x20 && c < 0x7F
              ? String.valueOf((char) c)
              : String.format(Locale.ROOT, "\\x%02x", c));
    }
    return sb.append('"').toString() + String.format(Locale.ROOT, " (0x%08x)", magic);
  }
}

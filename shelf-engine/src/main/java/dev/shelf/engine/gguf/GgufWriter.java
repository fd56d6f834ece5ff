package dev.shelf.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes GGUF version 3 files: metadata of every type and tensors of every {@link GgmlType}.
 *
 * <p>Metadata keys keep the order in which they were first put. Tensors are laid out in the order
 * added, each at an offset that is a multiple of the alignment ({@code general.alignment} when put,
 * else 32) and padded with zeros to the next multiple, as llama.cpp's own writer does; a file with
 * no tensors ends right after its tensor table. The output is memory-mapped while written, so a
 * tensor given as a {@linkplain #addTensor(String, GgmlType, long[], Consumer) filler} is generated
 * straight into the file: synthetic models of many gigabytes never sit in the heap. The mapping is
 * shared, so a filler may split its tensor across threads.
 */
public final class GgufWriter {
  /** llama.cpp refuses tensor names of {@code GGML_MAX_NAME} (64) bytes or more. */
  static final int MAX_NAME_BYTES = 63;

  private final SequencedMap<String, GgufValue> metadata = new LinkedHashMap<>();
  private final List<PendingTensor> tensors = new ArrayList<>();
  private final Set<String> names = new HashSet<>();

  // Private records of arrays the writer never compares or exposes.
  @SuppressWarnings("ArrayRecordComponent")
  private record PendingTensor(
      String name, long[] dims, GgmlType type, long byteSize, Consumer<MemorySegment> fill) {}

  /** Puts a metadata value, replacing an earlier value of the same key in place. */
  public GgufWriter put(String key, GgufValue value) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException("a metadata key must not be empty");
    }
    metadata.put(key, value);
    return this;
  }

  /** Puts every key of {@code source}, in its order: to copy a file's metadata. */
  public GgufWriter putAll(GgufMetadata source) {
    for (Map.Entry<String, GgufValue> e : source.asMap().entrySet()) {
      put(e.getKey(), e.getValue());
    }
    return this;
  }

  public GgufWriter putString(String key, String value) {
    return put(key, GgufValue.string(value));
  }

  public GgufWriter putUint32(String key, long value) {
    return put(key, GgufValue.uint32(value));
  }

  public GgufWriter putInt32(String key, int value) {
    return put(key, GgufValue.int32(value));
  }

  public GgufWriter putFloat32(String key, float value) {
    return put(key, GgufValue.float32(value));
  }

  public GgufWriter putBool(String key, boolean value) {
    return put(key, GgufValue.bool(value));
  }

  public GgufWriter putStringArray(String key, List<String> values) {
    return put(key, GgufValue.stringArray(values));
  }

  /**
   * Adds a tensor whose data is {@code data}, which must hold exactly the bytes that {@code type}
   * and {@code dims} (ggml order, row length first) take.
   */
  public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment data) {
    long size = checkTensor(name, type, dims);
    if (data.byteSize() != size) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "': data has "
              + data.byteSize()
              + " bytes but "
              + type
              + " "
              + Arrays.toString(dims)
              + " takes "
              + size);
    }
    return add(name, type, dims, size, target -> MemorySegment.copy(data, 0, target, 0, size));
  }

  /**
   * Adds a tensor whose data is {@code data}; see {@link #addTensor(String, GgmlType, long[],
   * MemorySegment)}.
   */
  public GgufWriter addTensor(String name, GgmlType type, long[] dims, byte[] data) {
    return addTensor(name, type, dims, MemorySegment.ofArray(data.clone()));
  }

  /**
   * Adds a tensor whose data {@code fill} writes, when the file is written, into the segment it is
   * given: exactly the tensor's bytes, in the output file, initially zero.
   */
  public GgufWriter addTensor(
      String name, GgmlType type, long[] dims, Consumer<MemorySegment> fill) {
    return add(name, type, dims, checkTensor(name, type, dims), fill);
  }

  private GgufWriter add(
      String name, GgmlType type, long[] dims, long size, Consumer<MemorySegment> fill) {
    names.add(name);
    tensors.add(new PendingTensor(name, dims.clone(), type, size, fill));
    return this;
  }

  private long checkTensor(String name, GgmlType type, long[] dims) {
    int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (nameBytes == 0 || nameBytes > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          "tensor name '" + name + "' must have 1 to " + MAX_NAME_BYTES + " bytes");
    }
    if (names.contains(name)) {
      throw new IllegalArgumentException("tensor '" + name + "' is already added");
    }
    if (dims.length < 1 || dims.length > GgufParser.MAX_DIMS) {
      throw new IllegalArgumentException(
          "tensor '" + name + "' has " + dims.length + " dimensions; 1 to 4 are allowed");
    }
    try {
      return type.byteSize(dims);
    } catch (GgufException e) {
      throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
    }
  }

  /** Writes the file, replacing any file at {@code path}. */
  public void write(Path path) throws IOException {
    Layout layout = layout();
    try (FileChannel channel =
            FileChannel.open(
                path,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        Arena arena = Arena.ofShared()) {
      MemorySegment target =
          channel.map(FileChannel.MapMode.READ_WRITE, 0, layout.totalSize(), arena);
      writeTo(layout, target);
      target.force();
    }
  }

  /** The file's bytes, for files under 2 GB. */
  public byte[] toByteArray() {
    Layout layout = layout();
    if (layout.totalSize() > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(
          "a file of " + layout.totalSize() + " bytes does not fit in a byte array");
    }
    byte[] bytes = new byte[(int) layout.totalSize()];
    writeTo(layout, MemorySegment.ofArray(bytes));
    return bytes;
  }

  @SuppressWarnings("ArrayRecordComponent")
  private record Layout(byte[] header, long dataOffset, long[] offsets, long totalSize) {}

  private Layout layout() {
    int alignment = alignment();
    long[] offsets = new long[tensors.size()];
    long dataSize = 0;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = dataSize;
      dataSize = GgufParser.align(dataSize + tensors.get(i).byteSize(), alignment);
    }
    ByteSink header = new ByteSink();
    header.u32(GgufParser.MAGIC);
    header.u32(3);
    header.u64(tensors.size());
    header.u64(metadata.size());
    for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
      header.string(e.getKey());
      header.u32(e.getValue().type().id());
      value(header, e.getValue());
    }
    for (int i = 0; i < offsets.length; i++) {
      PendingTensor tensor = tensors.get(i);
      header.string(tensor.name());
      header.u32(tensor.dims().length);
      for (long dim : tensor.dims()) {
        header.u64(dim);
      }
      header.u32(tensor.type().id());
      header.u64(offsets[i]);
    }
    byte[] bytes = header.toByteArray();
    long dataOffset = tensors.isEmpty() ? bytes.length : GgufParser.align(bytes.length, alignment);
    return new Layout(bytes, dataOffset, offsets, dataOffset + dataSize);
  }

  private void writeTo(Layout layout, MemorySegment target) {
    MemorySegment.copy(
        layout.header(), 0, target, ValueLayout.JAVA_BYTE, 0, layout.header().length);
    for (int i = 0; i < tensors.size(); i++) {
      PendingTensor tensor = tensors.get(i);
      tensor
          .fill()
          .accept(target.asSlice(layout.dataOffset() + layout.offsets()[i], tensor.byteSize()));
    }
  }

  private int alignment() {
    GgufValue value = metadata.get(GgufParser.ALIGNMENT_KEY);
    if (value == null) {
      return GgufParser.DEFAULT_ALIGNMENT;
    }
    long alignment = value.type().isInteger() ? value.asLong() : -1;
    if (alignment <= 0 || alignment > (1 << 30) || Long.bitCount(alignment) != 1) {
      throw new IllegalStateException(
          GgufParser.ALIGNMENT_KEY + " must be a power of two but is " + value);
    }
    return (int) alignment;
  }

  private static void value(ByteSink out, GgufValue value) {
    Object raw = value.raw();
    switch (value.type()) {
      case UINT8, INT8, BOOL ->
          out.u8(raw instanceof Boolean b ? (b ? 1 : 0) : (int) (long) (Long) raw);
      case UINT16, INT16 -> out.u16((int) (long) (Long) raw);
      case UINT32, INT32 -> out.u32((int) (long) (Long) raw);
      case UINT64, INT64 -> out.u64((Long) raw);
      case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) raw));
      case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) raw));
      case STRING -> out.string((String) raw);
      case ARRAY -> array(out, value.elementType(), raw);
    }
  }

  private static void array(ByteSink out, GgufValueType elementType, Object raw) {
    out.u32(elementType.id());
    int n = Array.getLength(raw);
    out.u64(n);
    switch (raw) {
      case byte[] a -> out.bytes(a);
      case boolean[] a -> {
        for (boolean b : a) {
          out.u8(b ? 1 : 0);
        }
      }
      case short[] a -> {
        for (short v : a) {
          out.u16(v);
        }
      }
      case int[] a -> {
        for (int v : a) {
          out.u32(v);
        }
      }
      case long[] a -> {
        for (long v : a) {
          out.u64(v);
        }
      }
      case float[] a -> {
        for (float v : a) {
          out.u32(Float.floatToRawIntBits(v));
        }
      }
      case double[] a -> {
        for (double v : a) {
          out.u64(Double.doubleToRawLongBits(v));
        }
      }
      case String[] a -> {
        for (String s : a) {
          out.string(s);
        }
      }
      case GgufValue[] a -> {
        for (GgufValue nested : a) {
          array(out, nested.elementType(), nested.raw());
        }
      }
      default -> throw new IllegalStateException("unexpected array " + raw.getClass());
    }
  }

  /** A growable little-endian byte buffer for the header. */
  private static final class ByteSink {
    private byte[] buf = new byte[4096];
    private int len;

    private void ensure(int more) {
      if (buf.length - len < more) {
        long wanted = Math.max((long) buf.length * 2, (long) len + more);
        if (wanted > Integer.MAX_VALUE - 8) {
          throw new IllegalStateException("GGUF header larger than 2 GB");
        }
        buf = Arrays.copyOf(buf, (int) wanted);
      }
    }

    void u8(int v) {
      ensure(1);
      buf[len++] = (byte) v;
    }

    void u16(int v) {
      ensure(2);
      buf[len++] = (byte) v;
      buf[len++] = (byte) (v >>> 8);
    }

    void u32(int v) {
      ensure(4);
      for (int i = 0; i < 4; i++) {
        buf[len++] = (byte) (v >>> (8 * i));
      }
    }

    void u64(long v) {
      ensure(8);
      for (int i = 0; i < 8; i++) {
        buf[len++] = (byte) (v >>> (8 * i));
      }
    }

    void bytes(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
    }

    void string(String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      u64(utf8.length);
      bytes(utf8);
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, len);
    }
  }
}

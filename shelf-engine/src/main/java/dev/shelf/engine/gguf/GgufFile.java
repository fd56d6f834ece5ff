package dev.shelf.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A GGUF file (version 2 or 3, little-endian), memory-mapped and parsed.
 *
 * <p>{@link #open} maps the whole file read-only into a shared {@link Arena} (so files far over 2
 * GB work and every thread of the engine may read the weights), parses the header, the metadata and
 * the tensor table at once, and checks that every tensor's data lies inside the file, aligned.
 * After that nothing is read lazily except the weights themselves: {@link #tensorData} is a
 * read-only slice of the mapping, no copy. {@link #close} unmaps; slices must not be used after.
 *
 * <p>Any defect of the file is a {@link GgufException} naming the file, what was being read and the
 * offset; I/O failures (a missing file) stay {@link IOException}s.
 */
public final class GgufFile implements AutoCloseable {
  private final String source;
  private final MemorySegment segment;
  private final @Nullable Arena arena;
  private final int version;
  private final int alignment;
  private final long dataOffset;
  private final GgufMetadata metadata;
  private final List<GgufTensorInfo> tensors;
  private final Map<String, GgufTensorInfo> tensorsByName;

  private GgufFile(MemorySegment segment, String source, @Nullable Arena arena) {
    GgufParser.Parsed parsed = GgufParser.parse(segment, source);
    this.source = source;
    this.segment = segment;
    this.arena = arena;
    this.version = parsed.version();
    this.alignment = parsed.alignment();
    this.dataOffset = parsed.dataOffset();
    this.metadata = parsed.metadata();
    this.tensors = parsed.tensors();
    Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
    for (GgufTensorInfo tensor : tensors) {
      byName.put(tensor.name(), tensor);
    }
    this.tensorsByName = byName;
  }

  /**
   * Maps and parses the file at {@code path}.
   *
   * @throws IOException if the file cannot be opened or mapped
   * @throws GgufException if it is not a well-formed GGUF file of supported version and types
   */
  // The arena outlives this method on success: the returned file owns it and closes it.
  @SuppressWarnings("MustBeClosedChecker")
  public static GgufFile open(Path path) throws IOException {
    Arena arena = Arena.ofShared();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
      return new GgufFile(segment.asReadOnly(), path.toString(), arena);
    } catch (IOException | RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  /**
   * Parses GGUF bytes already in memory (a heap or native segment the caller owns and keeps alive);
   * {@link #close} then does nothing. {@code source} names the bytes in error messages.
   */
  public static GgufFile parse(MemorySegment bytes, String source) {
    return new GgufFile(bytes.asReadOnly(), source, null);
  }

  /** The path (or name) the file was opened from, as used in error messages. */
  public String source() {
    return source;
  }

  /** The GGUF version: 2 or 3. */
  public int version() {
    return version;
  }

  /** The data alignment: {@code general.alignment}, or 32 when the file does not set it. */
  public int alignment() {
    return alignment;
  }

  /** File offset of the data section, to which each tensor's {@link GgufTensorInfo#offset} adds. */
  public long dataOffset() {
    return dataOffset;
  }

  /** Size of the file in bytes. */
  public long size() {
    return segment.byteSize();
  }

  /** The whole file, read-only. */
  public MemorySegment segment() {
    return segment;
  }

  public GgufMetadata metadata() {
    return metadata;
  }

  /** The tensor table, in file order. */
  public List<GgufTensorInfo> tensors() {
    return tensors;
  }

  /** The tensor called {@code name}, or null. */
  public @Nullable GgufTensorInfo findTensor(String name) {
    return tensorsByName.get(name);
  }

  /** The tensor called {@code name}; throws naming it when the file has none. */
  public GgufTensorInfo tensor(String name) {
    GgufTensorInfo tensor = tensorsByName.get(name);
    if (tensor == null) {
      throw new GgufException(source + ": tensor '" + name + "' is missing");
    }
    return tensor;
  }

  /** The data of the tensor called {@code name}: a read-only slice of the mapping. */
  public MemorySegment tensorData(String name) {
    return slice(tensor(name));
  }

  /** The data of a tensor of this file: a read-only slice of the mapping. */
  public MemorySegment tensorData(GgufTensorInfo tensor) {
    if (!Objects.equals(tensorsByName.get(tensor.name()), tensor)) {
      throw new IllegalArgumentException(tensor + " is not a tensor of " + source);
    }
    return slice(tensor);
  }

  private MemorySegment slice(GgufTensorInfo tensor) {
    return segment.asSlice(dataOffset + tensor.offset(), tensor.byteSize());
  }

  /** Unmaps the file (when opened from a path); slices handed out become unusable. */
  @Override
  public void close() {
    if (arena != null) {
      arena.close();
    }
  }

  @Override
  public String toString() {
    return "GgufFile["
        + source
        + ", v"
        + version
        + ", "
        + metadata.size()
        + " keys, "
        + tensors.size()
        + " tensors]";
  }
}

package dev.shelf.engine.gguf;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a GGUF file's tensor table.
 *
 * @param name the tensor's name, e.g. {@code blk.0.attn_q.weight}
 * @param dims the dimensions in ggml order: {@code dims[0]} is the row length (contiguous in
 *     memory), so a {@code [64, 512]} embedding holds 512 rows of 64
 * @param type the ggml type of the data
 * @param offset where the data starts, relative to the start of the file's data section
 */
// dims is copied in and out, and equals/hashCode/toString compare its contents.
@SuppressWarnings("ArrayRecordComponent")
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {
  public GgufTensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    dims = dims.clone();
  }

  @Override
  public long[] dims() {
    return dims.clone();
  }

  /** Number of dimensions (1 to 4). */
  public int rank() {
    return dims.length;
  }

  /** One dimension, in ggml order. */
  public long dim(int i) {
    return dims[i];
  }

  /** Number of elements: the product of the dimensions. */
  public long elementCount() {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /** Bytes of data, from the type's block layout. */
  public long byteSize() {
    return type.byteSize(dims);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof GgufTensorInfo other
        && name.equals(other.name)
        && Arrays.equals(dims, other.dims)
        && type == other.type
        && offset == other.offset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(dims), type, offset);
  }

  @Override
  public String toString() {
    return name + " " + Arrays.toString(dims) + " " + type + " @" + offset;
  }
}

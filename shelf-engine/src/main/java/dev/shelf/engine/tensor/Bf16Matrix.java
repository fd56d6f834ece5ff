package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/** bfloat16: the upper halves of singles. */
final class Bf16Matrix extends WeightMatrix {
  Bf16Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.BF16, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int i = 0; i < elements; i++) {
      out[at + i] = Bytes.bf16(data, offset + 2L * i);
    }
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int bound = s.loopBound(elements);
    for (int i = 0; i < bound; i += s.length()) {
      VectorLanes.bfloats(data, offset + 2L * i).intoArray(out, at + i);
    }
    for (int i = bound; i < elements; i++) {
      out[at + i] = Bytes.bf16(data, offset + 2L * i);
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
    int l = s.length();
    FloatVector even = FloatVector.zero(s);
    FloatVector odd = FloatVector.zero(s);
    int bound = s.loopBound(cols);
    int i = 0;
    for (; i + 2 * l <= bound; i += 2 * l) {
      even = VectorLanes.bfloats(data, offset + 2L * i).fma(FloatVector.fromArray(s, x, i), even);
      odd =
          VectorLanes.bfloats(data, offset + 2L * (i + l))
              .fma(FloatVector.fromArray(s, x, i + l), odd);
    }
    if (i < bound) {
      even = VectorLanes.bfloats(data, offset + 2L * i).fma(FloatVector.fromArray(s, x, i), even);
    }
    float tail = 0f;
    for (int j = bound; j < cols; j++) {
      tail += Bytes.bf16(data, offset + 2L * j) * x[j];
    }
    return VectorLanes.sum(even, odd) + tail;
  }
}

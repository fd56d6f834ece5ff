package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/** IEEE singles. */
final class F32Matrix extends WeightMatrix {
  F32Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.F32, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    MemorySegment.copy(data, Bytes.FLOAT_LE, offset, out, at, elements);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    MemorySegment.copy(data, Bytes.FLOAT_LE, offset, out, at, elements);
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
      even = VectorLanes.singles(data, offset + 4L * i).fma(FloatVector.fromArray(s, x, i), even);
      odd =
          VectorLanes.singles(data, offset + 4L * (i + l))
              .fma(FloatVector.fromArray(s, x, i + l), odd);
    }
    if (i < bound) {
      even = VectorLanes.singles(data, offset + 4L * i).fma(FloatVector.fromArray(s, x, i), even);
    }
    float tail = 0f;
    for (int j = bound; j < cols; j++) {
      tail += data.get(Bytes.FLOAT_LE, offset + 4L * j) * x[j];
    }
    return VectorLanes.sum(even, odd) + tail;
  }
}

package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** IEEE singles. */
final class F32Matrix extends WeightMatrix {
  F32Matrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.F32, data, rows, cols, simd);
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
  float dotVector(long offset, float[] x, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    FloatVector acc = FloatVector.zero(s);
    int bound = s.loopBound(cols);
    for (int i = 0; i < bound; i += s.length()) {
      FloatVector w = VectorLanes.singles(data, offset + 4L * i);
      acc = w.fma(FloatVector.fromArray(s, x, i), acc);
    }
    float tail = 0f;
    for (int i = bound; i < cols; i++) {
      tail += data.get(Bytes.FLOAT_LE, offset + 4L * i) * x[i];
    }
    return VectorLanes.sum(acc, scratch) + tail;
  }
}

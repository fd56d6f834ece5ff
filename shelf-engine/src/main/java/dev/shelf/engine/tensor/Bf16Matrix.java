package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16: the upper halves of singles. */
final class Bf16Matrix extends WeightMatrix {
  Bf16Matrix(MemorySegment data, int rows, int cols, Simd simd) {
    super(GgmlType.BF16, data, rows, cols, simd);
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
  float dotVector(long offset, float[] x, float[] scratch) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    FloatVector acc = FloatVector.zero(s);
    int bound = s.loopBound(cols);
    for (int i = 0; i < bound; i += s.length()) {
      FloatVector w = VectorLanes.bfloats(data, offset + 2L * i);
      acc = w.fma(FloatVector.fromArray(s, x, i), acc);
    }
    float tail = 0f;
    for (int i = bound; i < cols; i++) {
      tail += Bytes.bf16(data, offset + 2L * i) * x[i];
    }
    return VectorLanes.sum(acc, scratch) + tail;
  }
}

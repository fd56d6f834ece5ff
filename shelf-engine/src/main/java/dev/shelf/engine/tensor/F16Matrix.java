package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/** IEEE halves, widened exactly (subnormals, infinities and NaN kept). */
final class F16Matrix extends WeightMatrix {
  F16Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.F16, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int i = 0; i < elements; i++) {
      out[at + i] = Bytes.f16(data, offset + 2L * i);
    }
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int bound = s.loopBound(elements);
    for (int i = 0; i < bound; i += s.length()) {
      VectorLanes.halves(data, offset + 2L * i).intoArray(out, at + i);
    }
    for (int i = bound; i < elements; i++) {
      out[at + i] = Bytes.f16(data, offset + 2L * i);
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
    // One vector per pass, the parity picking its accumulator: the half conversion is a dozen
    // vector operations, and written out three times (even, odd, a last even one) it made the
    // compiled kernel too big for C2 to inline its lane sum.
    for (int i = 0; i < bound; i += l) {
      FloatVector w = VectorLanes.halves(data, offset + 2L * i);
      FloatVector v = FloatVector.fromArray(s, x, i);
      if (((i / l) & 1) == 0) {
        even = w.fma(v, even);
      } else {
        odd = w.fma(v, odd);
      }
    }
    float tail = 0f;
    for (int j = bound; j < cols; j++) {
      tail += Bytes.f16(data, offset + 2L * j) * x[j];
    }
    return VectorLanes.sum(even, odd) + tail;
  }
}

package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * {@code block_q5_1} (24 bytes per 32 elements): f16 scale {@code d}, f16 min {@code m}, then the
 * fifth bits and nibbles of {@link Q5_0Matrix}; {@code w = (nibble + 16 * bit) * d + m}. llama.cpp
 * writes it where a Q5_K_M file's rows are not a whole number of 256-element blocks.
 */
final class Q5_1Matrix extends WeightMatrix {
  private static final int QK = Q5_0Matrix.QK;
  private static final int BYTES = 24;
  private static final int M = 2;
  private static final int QH = 4;
  private static final int QS = 8;

  /** {@code k} in lane {@code k}: the lower half of a block's table of 32 levels. */
  private static final FloatVector LOWER =
      FloatVector.fromArray(
          VectorLanes.SPECIES,
          new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
          0);

  /** {@code k + 16} in lane {@code k}: the upper half. */
  private static final FloatVector UPPER = LOWER.add(16f);

  Q5_1Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q5_1, data, rows, cols, simd, panels);
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      float m = Bytes.f16(data, block + M);
      int qh = data.get(Bytes.INT_LE, block + QH);
      for (int j = 0; j < QK / 2; j++) {
        int bits = Bytes.u8(data, block + QS + j);
        int x0 = (bits & 0x0F) | (((qh >>> j) & 1) << 4);
        int x1 = (bits >> 4) | (((qh >>> (j + 16)) & 1) << 4);
        out[at + b * QK + j] = x0 * d + m;
        out[at + b * QK + j + QK / 2] = x1 * d + m;
      }
    }
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      float m = Bytes.f16(data, block + M);
      int qh = data.get(Bytes.INT_LE, block + QH);
      int y = at + b * QK;
      if (VectorLanes.LOOKUP) {
        FloatVector lower = LOWER.fma(d, m);
        FloatVector upper = UPPER.fma(d, m);
        IntVector bytes = VectorLanes.unsignedInts(data, block + QS);
        IntVector bits = VectorLanes.shiftedByLane(qh);
        VectorLanes.lookUp(lower, upper, Q5_0Matrix.index(bytes, bits, false)).intoArray(out, y);
        VectorLanes.lookUp(lower, upper, Q5_0Matrix.index(bytes, bits, true))
            .intoArray(out, y + 16);
        continue;
      }
      FloatVector dv = FloatVector.broadcast(s, d);
      FloatVector mv = FloatVector.broadcast(s, m);
      for (int e = 0; e < QK; e += s.length()) {
        Q5_0Matrix.fiveBits(data, block, QS, qh, e).fma(dv, mv).intoArray(out, y + e);
      }
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
    long block = offset;
    for (int i = 0; i < cols; i += QK, block += BYTES) {
      float d = Bytes.f16(data, block);
      float m = Bytes.f16(data, block + M);
      int qh = data.get(Bytes.INT_LE, block + QH);
      if (VectorLanes.LOOKUP) {
        FloatVector lower = LOWER.fma(d, m);
        FloatVector upper = UPPER.fma(d, m);
        IntVector bytes = VectorLanes.unsignedInts(data, block + QS);
        IntVector bits = VectorLanes.shiftedByLane(qh);
        even =
            VectorLanes.lookUp(lower, upper, Q5_0Matrix.index(bytes, bits, false))
                .fma(FloatVector.fromArray(s, x, i), even);
        odd =
            VectorLanes.lookUp(lower, upper, Q5_0Matrix.index(bytes, bits, true))
                .fma(FloatVector.fromArray(s, x, i + 16), odd);
        continue;
      }
      FloatVector dv = FloatVector.broadcast(s, d);
      FloatVector mv = FloatVector.broadcast(s, m);
      for (int e = 0; e < QK; e += 2 * l) {
        even =
            Q5_0Matrix.fiveBits(data, block, QS, qh, e)
                .fma(dv, mv)
                .fma(FloatVector.fromArray(s, x, i + e), even);
        odd =
            Q5_0Matrix.fiveBits(data, block, QS, qh, e + l)
                .fma(dv, mv)
                .fma(FloatVector.fromArray(s, x, i + e + l), odd);
      }
    }
    // The decoding takes this compilation past C2's inlining cutoff at every width (the sum's tree
    // left out at 512 bits, measured by KernelCompilationTest): the kernel stores the lanes itself
    // and adds them in the same order.
    even.add(odd).intoArray(scratch, 0);
    return VectorLanes.sumLanes(scratch);
  }
}

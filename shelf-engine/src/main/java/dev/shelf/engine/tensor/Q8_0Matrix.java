package dev.shelf.engine.tensor;

import dev.shelf.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * {@code block_q8_0} (34 bytes per 32 elements): an f16 scale {@code d}, then 32 int8 quants;
 * {@code w[i] = q[i] * d}.
 */
final class Q8_0Matrix extends WeightMatrix {
  private static final int QK = 32;
  private static final int BYTES = 34;
  private static final int QS = 2;

  /**
   * Each block's scale {@code d}, widened once ({@link WeightMatrix#blockScales}), for the vector
   * kernels; the scalar twin reads the halves in place, so a scalar matrix has none.
   */
  private final float[] scales;

  Q8_0Matrix(MemorySegment data, int rows, int cols, Simd simd, WeightMatrix @Nullable [] panels) {
    super(GgmlType.Q8_0, data, rows, cols, simd, panels);
    this.scales = blockScales(BYTES);
  }

  @Override
  long factorBytes() {
    return (long) scales.length * Float.BYTES;
  }

  @Override
  void dequantize(long offset, int elements, float[] out, int at) {
    for (int b = 0; b < elements / QK; b++) {
      long block = offset + (long) b * BYTES;
      float d = Bytes.f16(data, block);
      for (int j = 0; j < QK; j++) {
        out[at + b * QK + j] = Bytes.s8(data, block + QS + j) * d;
      }
    }
  }

  private FloatVector quants(long block, int e) {
    return VectorLanes.widen(VectorLanes.bytes(data, block + QS, e), e);
  }

  /**
   * True at eight and sixteen lanes: the tile decoding ({@link #dequantizeVector}) loads a block's
   * 32 quants at once (256 bits) and widens them a part of {@link VectorLanes#LANES} at a time
   * ({@link #part}). A load per vector, as at 128 bits, cost a bounds check on the segment each,
   * and the compiled loop spent some 33 instructions a block, 10 of them on the weights: one Zen 5
   * thread, a 256 x 2048 matrix in cache, the tile decoding ran at 11.2-11.5 Gweights/s with a load
   * per vector and 24.7-27.0 with one per block, eight inputs' products at 28-30 and 32-34 G a
   * second; forced to 256 bits, tile decoding 9.2-11.7 and 13.8-14.6. The row kernel keeps a load
   * per vector: with one per block it ran faster in cache (18.0-18.8 to 19.3-24.9) but slower
   * streaming every matrix of the file from memory (two threads, 14.7-18.3 Gweights/s against
   * 12.6-15.2), and decode with it was slower end to end, as a block-counted row loop was before.
   */
  private static final boolean WHOLE = VectorLanes.LANES >= 8;

  private static final VectorSpecies<Byte> QUANTS = ByteVector.SPECIES_256;

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Lane {@code i} takes byte {@code i + n * LANES}: part {@code n} moved to the bottom. */
  private static final VectorShuffle<Byte> PART_1 = partShuffle(1);

  private static final VectorShuffle<Byte> PART_2 = partShuffle(2);
  private static final VectorShuffle<Byte> PART_3 = partShuffle(3);

  private static VectorShuffle<Byte> partShuffle(int n) {
    return VectorShuffle.iota(QUANTS, (n * VectorLanes.LANES) % QUANTS.length(), 1, true);
  }

  /**
   * Quants {@code [p * LANES, (p + 1) * LANES)} of a block's 32 as floats: the part moved to the
   * bottom by a constant shuffle, then widened. ({@code convertShape} with a part number moves it
   * by a {@code slice}, whose shuffle is built on the fly, and C2 left a call of that deep inside
   * its compilation uninlined in some runs, which {@code KernelCompilationTest} caught.)
   */
  private static FloatVector part(ByteVector quants, int p) {
    ByteVector at =
        switch (p) {
          case 0 -> quants;
          case 1 -> quants.rearrange(PART_1);
          case 2 -> quants.rearrange(PART_2);
          default -> quants.rearrange(PART_3);
        };
    return (FloatVector) at.convertShape(VectorOperators.B2F, VectorLanes.SPECIES, 0);
  }

  @Override
  void dequantizeVector(long offset, int elements, float[] out, int at) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    long block = offset;
    int f = (int) (offset / BYTES);
    for (int y = at; y < at + elements; y += QK, block += BYTES, f++) {
      FloatVector d = FloatVector.broadcast(s, scales[f]);
      if (WHOLE) {
        // Written out: as a loop over the parts the decoding ran no faster than a load a vector.
        ByteVector q = ByteVector.fromMemorySegment(QUANTS, data, block + QS, LE);
        int l = VectorLanes.LANES;
        part(q, 0).mul(d).intoArray(out, y);
        part(q, 1).mul(d).intoArray(out, y + l);
        if (l == 8) {
          part(q, 2).mul(d).intoArray(out, y + 2 * l);
          part(q, 3).mul(d).intoArray(out, y + 3 * l);
        }
        continue;
      }
      for (int e = 0; e < QK; e += s.length()) {
        quants(block, e).mul(d).intoArray(out, y + e);
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
    // x's index counts the loop and the block's offset goes beside it (see Q4_0Matrix).
    long block = offset;
    int f = (int) (offset / BYTES);
    for (int i = 0; i < cols; i += QK, block += BYTES, f++) {
      FloatVector d = FloatVector.broadcast(s, scales[f]);
      for (int e = 0; e < QK; e += 2 * l) {
        even = quants(block, e).mul(d).fma(FloatVector.fromArray(s, x, i + e), even);
        odd = quants(block, e + l).mul(d).fma(FloatVector.fromArray(s, x, i + e + l), odd);
      }
    }
    return VectorLanes.sum(even, odd);
  }
}

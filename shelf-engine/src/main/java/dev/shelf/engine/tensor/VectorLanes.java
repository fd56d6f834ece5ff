package dev.shelf.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API plumbing shared by the kernels: the species of each width and the loads that turn
 * weight bytes into float lanes. All of it is exact (integer and half conversions lose nothing), so
 * a vector kernel differs from its scalar twin only in the order it adds.
 *
 * <p>The kernels read {@link #SPECIES} directly rather than taking a species argument, for the same
 * reason. Byte loads are at most 16 bytes (one float lane per byte). A float species of {@code L}
 * lanes reads {@code L} bytes when {@code L >= 8}; the 128-bit species (4 lanes) reads 8 bytes and
 * converts half of them, so no load ever crosses the end of the 8-byte-aligned run it names.
 */
final class VectorLanes {
  /**
   * The one float species of this JVM, fixed at startup by {@link Simd#vectorBits()}. It must be a
   * {@code static final} constant: the JIT compiles Vector API calls into vector instructions only
   * when it can see the species, and runs them up to forty times slower than scalar code otherwise.
   */
  static final VectorSpecies<Float> SPECIES = floats(Simd.vectorBits());

  /** The lanes of {@link #SPECIES}. */
  static final int LANES = SPECIES.length();

  private static final VectorSpecies<Byte> BYTES =
      LANES >= 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
  private static final VectorSpecies<Short> SHORTS =
      switch (LANES) {
        case 4 -> ShortVector.SPECIES_64;
        case 8 -> ShortVector.SPECIES_128;
        default -> ShortVector.SPECIES_256;
      };
  private static final VectorSpecies<Integer> INTS =
      switch (LANES) {
        case 4 -> IntVector.SPECIES_128;
        case 8 -> IntVector.SPECIES_256;
        default -> IntVector.SPECIES_512;
      };

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Lane {@code i} takes lane {@code i + n} (mod the lane count): the steps of {@link #sum}. */
  private static final VectorShuffle<Float> BY_8 = VectorShuffle.iota(SPECIES, 8, 1, true);

  private static final VectorShuffle<Float> BY_4 = VectorShuffle.iota(SPECIES, 4, 1, true);
  private static final VectorShuffle<Float> BY_2 = VectorShuffle.iota(SPECIES, 2, 1, true);
  private static final VectorShuffle<Float> BY_1 = VectorShuffle.iota(SPECIES, 1, 1, true);

  /** {@code 2^112}: rescales a half's exponent field, shifted into a float, to the right value. */
  private static final float HALF_EXPONENT_ADJUST = 0x1p112f;

  private VectorLanes() {}

  private static VectorSpecies<Float> floats(int bits) {
    return switch (bits) {
      case 128 -> FloatVector.SPECIES_128;
      case 256 -> FloatVector.SPECIES_256;
      default -> FloatVector.SPECIES_512;
    };
  }

  /**
   * The bytes that hold byte {@code e} (a multiple of the lane count) of the run starting at {@code
   * base}, to be widened by {@link #widen} with the same {@code e}.
   */
  static ByteVector bytes(MemorySegment segment, long base, int e) {
    int start = LANES >= 8 ? e : e & ~7;
    return ByteVector.fromMemorySegment(BYTES, segment, base + start, LE);
  }

  /** Widens the bytes loaded by {@link #bytes} for element {@code e} to signed float lanes. */
  static FloatVector widen(ByteVector bytes, int e) {
    int part = LANES >= 8 ? 0 : (e & 7) / LANES;
    return (FloatVector) bytes.convertShape(VectorOperators.B2F, SPECIES, part);
  }

  /**
   * True when a float vector has sixteen lanes (512 bits): sixteen bytes of nibbles then widen to
   * one vector of ints, and a table of sixteen floats fits in one vector, so the 4-bit kernels look
   * their weights up ({@link #lookUp}) instead of converting each nibble.
   */
  static final boolean LOOKUP = LANES == 16;

  /**
   * The {@link #LANES} bytes at {@code offset} zero-extended into the int lanes of the float
   * species' shape; for 8 and 16 lanes only (the 128-bit species reads 8 bytes, see {@link
   * #bytes}).
   */
  static IntVector unsignedInts(MemorySegment segment, long offset) {
    ByteVector bytes = ByteVector.fromMemorySegment(BYTES, segment, offset, LE);
    return (IntVector) bytes.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
  }

  /** The {@link #LANES} bytes at {@code offset} sign-extended, as {@link #unsignedInts}. */
  static IntVector signedInts(MemorySegment segment, long offset) {
    ByteVector bytes = ByteVector.fromMemorySegment(BYTES, segment, offset, LE);
    return (IntVector) bytes.convertShape(VectorOperators.B2I, INTS, 0);
  }

  /**
   * {@code table[index]}, lane by lane, for indexes in {@code [0, LANES)}: one permute instruction
   * where a conversion of each nibble would take four (mask, subtract, widen, convert). A table
   * computed as {@code level * scale} holds exactly the floats the scalar decoding gives.
   */
  static FloatVector lookUp(FloatVector table, IntVector index) {
    return index.selectFrom(table.reinterpretAsInts()).reinterpretAsFloats();
  }

  /**
   * {@code table[index]} for a table of {@code 2 * LANES} floats, {@code low} then {@code high},
   * the indexes taken modulo {@code 2 * LANES} (the Vector API wraps them; the JIT's AND does it):
   * one two-table permute (Q5_K's five-bit weights).
   */
  static FloatVector lookUp(FloatVector low, FloatVector high, IntVector index) {
    return index
        .selectFrom(low.reinterpretAsInts(), high.reinterpretAsInts())
        .reinterpretAsFloats();
  }

  /** {@code i} in int lane {@code i}: the bit numbers of {@link #fifthBits}. */
  private static final IntVector LANE_INDEX = IntVector.zero(INTS).addIndex(1);

  /** {@code bits >>> i} in int lane {@code i}, in the int lanes of the float species' shape. */
  static IntVector shiftedByLane(int bits) {
    return IntVector.broadcast(INTS, bits).lanewise(VectorOperators.LSHR, LANE_INDEX);
  }

  /**
   * {@code 16 * ((bits >>> i) & 1)} in int lane {@code i}: the fifth bit of each of {@link #LANES}
   * five-bit quants whose high bits are packed one a quant in {@code bits} (Q5_0's and Q5_1's
   * {@code qh}), in the int lanes of the float species' shape.
   */
  static IntVector fifthBits(int bits) {
    return IntVector.broadcast(INTS, bits)
        .lanewise(VectorOperators.LSHR, LANE_INDEX)
        .and(1)
        .lanewise(VectorOperators.LSHL, 4);
  }

  /** The low nibbles of bytes. */
  static ByteVector low(ByteVector bytes) {
    return bytes.and((byte) 0x0F);
  }

  /** The high nibbles of bytes, shifted as bytes (see {@link #highByWords}). */
  static ByteVector high(ByteVector bytes) {
    return bytes.lanewise(VectorOperators.LSHR, 4);
  }

  /**
   * The high nibbles of bytes, shifted as 32-bit lanes with the bits that come in from the next
   * byte masked off. x86 has no byte shift: for {@link #high} the JIT widens to 16-bit lanes,
   * shifts, masks and packs back (four instructions), here it shifts and masks (two). The Q4_0 and
   * Q4_1 row kernels ran 50-70% faster for it on AVX2; the K-quant kernels, whose larger bodies the
   * JIT schedules differently, ran 20% slower, so they keep {@link #high}.
   */
  static ByteVector highByWords(ByteVector bytes) {
    return bytes
        .reinterpretAsInts()
        .lanewise(VectorOperators.LSHR, 4)
        .reinterpretAsBytes()
        .and((byte) 0x0F);
  }

  /** {@code ((bytes >>> shift) & mask) << position}, lane by lane. */
  static ByteVector field(ByteVector bytes, int shift, int mask, int position) {
    return bytes
        .lanewise(VectorOperators.LSHR, shift)
        .and((byte) mask)
        .lanewise(VectorOperators.LSHL, position);
  }

  /** Sixteen-bit lanes at {@code offset}, sign-extended into ints of the float species' shape. */
  private static IntVector shorts(MemorySegment segment, long offset) {
    ShortVector v = ShortVector.fromMemorySegment(SHORTS, segment, offset, LE);
    return (IntVector) v.convertShape(VectorOperators.S2I, INTS, 0);
  }

  /**
   * IEEE halves at {@code offset} widened exactly, subnormals, infinities and NaN included: the
   * exponent and mantissa shifted into place and scaled by {@code 2^112} (exact, also for the
   * subnormals, which become normal floats), with the exponent forced to all ones for Inf and NaN
   * (NaN made quiet).
   */
  static FloatVector halves(MemorySegment segment, long offset) {
    IntVector h = shorts(segment, offset);
    IntVector magnitude = h.and(0x7FFF);
    IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
    IntVector finite = shifted.reinterpretAsFloats().mul(HALF_EXPONENT_ADJUST).reinterpretAsInts();
    VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
    IntVector bits = finite.blend(shifted.or(0x7F800000), special);
    // A NaN comes out quiet, as Float.float16ToFloat and a C float conversion make it.
    bits =
        bits.lanewise(
            VectorOperators.OR, 0x00400000, magnitude.compare(VectorOperators.GT, 0x7C00));
    IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
    return bits.or(sign).reinterpretAsFloats();
  }

  /** bfloat16 values at {@code offset} widened exactly. */
  static FloatVector bfloats(MemorySegment segment, long offset) {
    return shorts(segment, offset).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /** Singles at {@code offset}. */
  static FloatVector singles(MemorySegment segment, long offset) {
    return FloatVector.fromMemorySegment(SPECIES, segment, offset, LE);
  }

  /** Adds a group's sum into the running sum: {@code acc + block * scale}. */
  static FloatVector scaled(FloatVector block, float scale, FloatVector acc) {
    return block.fma(FloatVector.broadcast(SPECIES, scale), acc);
  }

  /**
   * The result of a dot product kept in two accumulators, one for the even-numbered vectors of a
   * row and one for the odd ones: the two added lane by lane, then {@link #sum(FloatVector)}.
   */
  static float sum(FloatVector even, FloatVector odd) {
    return sum(even.add(odd));
  }

  /**
   * The sum of the lanes in a fixed tree order: lane {@code i} plus lane {@code i + L/2}, then the
   * same over the first half, down to one lane. Each step is a lane-wise addition, so the result
   * does not depend on whether the JIT has compiled it ({@code reduceLanes} may add in another
   * order once compiled); and unlike a store and a scalar loop it leaves the kernel's own loop
   * alone: with one, the JIT compiled the Q8_0 kernel to a third of its speed about half of the
   * time.
   */
  static float sum(FloatVector v) {
    // Each step is its own small method: the JIT inlines a method of under 35 bytecodes wherever it
    // is called, and a vector that crosses a call it did not inline is boxed on the heap.
    return LANES == 16 ? sum16(v) : LANES == 8 ? sum8(v) : sum4(v);
  }

  private static float sum16(FloatVector v) {
    return sum8(v.add(v.rearrange(BY_8)));
  }

  private static float sum8(FloatVector v) {
    return sum4(v.add(v.rearrange(BY_4)));
  }

  private static float sum4(FloatVector v) {
    FloatVector w = v.add(v.rearrange(BY_2));
    return w.add(w.rearrange(BY_1)).lane(0);
  }

  /**
   * {@link #sum(FloatVector, FloatVector)} through {@code scratch[0, LANES)}: one store and the
   * same additions in scalar code, a few nodes where the shuffle tree costs the JIT hundreds. For a
   * kernel near C2's inlining cutoff (Q6_K): there the tree was left un-inlined and boxed. The Q8_0
   * kernel ran 20% slower with it, so the others keep the tree.
   */
  static float sum(FloatVector even, FloatVector odd, float[] scratch) {
    even.add(odd).intoArray(scratch, 0);
    return sumLanes(scratch);
  }

  /**
   * {@code lanes[0, LANES)} summed in place in the order of {@link #sum(FloatVector)}'s tree. A
   * kernel past C2's inlining cutoff stores its vector itself ({@code intoArray} is always inlined)
   * and calls this: a call C2 leaves out costs a call, not a boxed vector.
   */
  static float sumLanes(float[] lanes) {
    for (int n = LANES; n > 1; n >>= 1) {
      for (int i = 0; i < n / 2; i++) {
        lanes[i] += lanes[i + n / 2];
      }
    }
    return lanes[0];
  }
}

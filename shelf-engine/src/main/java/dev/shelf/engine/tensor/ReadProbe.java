package dev.shelf.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reads memory as fast as the threads can, to measure the bandwidth that bounds decoding: a token
 * reads every weight once, so {@code bandwidth / bytes of weights} is the most tokens per second a
 * single sequence can reach. The benchmark's in-process baseline.
 *
 * <p>Why chunks: the Vector API is fast only once C2 has compiled the loop that uses it; in the
 * interpreter or C1 every {@link LongVector} is a heap object and the same loop reads 0.1 to 1
 * GB/s. One long loop run a handful of times per measurement gets compiled late and only by
 * on-stack replacement, so the first runs (and, on a busy machine, the median) measured the JIT
 * instead of memory. The loop therefore lives in {@link #sum}, which reads one {@value
 * #CHUNK_BYTES}-byte chunk and is called thousands of times per pass: it is compiled like any hot
 * method, and {@link #warmUp} gets that done before the first measured run.
 *
 * <p>The checksum (the wrapping sum of the segment's little-endian longs, so the reads cannot be
 * elided) does not depend on the chunk size or the number of threads.
 */
public final class ReadProbe {
  private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
  private static final ValueLayout.OfLong LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** Bytes read per call of the kernel: a multiple of every vector size, far over a call's cost. */
  static final long CHUNK_BYTES = 512 * 1024;

  /** Kernel calls of {@link #warmUp}: several times what C2 needs to compile {@link #sum}. */
  private static final int WARM_UP_CALLS = 20_000;

  /**
   * Bytes per warm-up call: small, so the calls hit the cache and cost little; not a whole number
   * of vectors, so the kernel's tail loop is taken too and the compiled code has no trap to hit
   * when a measured pass reaches the segment's last chunk.
   */
  private static final long WARM_UP_BYTES = 16 * 1024 + 3 * Long.BYTES;

  private ReadProbe() {}

  /**
   * Reads every whole long of {@code segment} (a tail of up to 7 bytes is skipped) in {@value
   * #CHUNK_BYTES}-byte chunks, contiguous runs of chunks split across {@code parallel}'s threads,
   * and returns the wrapping sum of those little-endian longs so the reads cannot be elided.
   *
   * @throws IllegalArgumentException if the segment has more than {@link Integer#MAX_VALUE} chunks
   */
  public static long read(MemorySegment segment, Parallel parallel) {
    long size = segment.byteSize();
    long chunks = (size + CHUNK_BYTES - 1) / CHUNK_BYTES;
    if (chunks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "segment must be at most " + Integer.MAX_VALUE * CHUNK_BYTES + " bytes but was " + size);
    }
    AtomicLong checksum = new AtomicLong();
    parallel.forRange(
        0,
        (int) chunks,
        (from, to) -> {
          long acc = 0;
          for (int chunk = from; chunk < to; chunk++) {
            long offset = chunk * CHUNK_BYTES;
            acc += sum(segment, offset, Math.min(CHUNK_BYTES, size - offset));
          }
          checksum.addAndGet(acc);
        });
    return checksum.get();
  }

  /**
   * Runs the kernel, unmeasured, until the JIT has compiled it: {@value #WARM_UP_CALLS} calls over
   * the first few KiB of {@code segment} (fewer bytes when the segment is smaller), on the calling
   * thread. Call it once before timing {@link #read}; it returns a checksum only so that its reads
   * cannot be elided either.
   */
  public static long warmUp(MemorySegment segment) {
    long length = Math.min(WARM_UP_BYTES, segment.byteSize());
    long slots = Math.max(1, Math.min(16, segment.byteSize() / Math.max(1, length)));
    long acc = 0;
    for (int i = 0; i < WARM_UP_CALLS; i++) {
      acc += sum(segment, (i % slots) * length, length);
    }
    return acc;
  }

  /**
   * The kernel: the wrapping sum of the little-endian longs in {@code [offset, offset + length)},
   * whole vectors first, then the whole longs left; a tail of up to 7 bytes is skipped.
   */
  static long sum(MemorySegment segment, long offset, long length) {
    long step = LONGS.vectorByteSize();
    long end = offset + length;
    long vectorEnd = offset + length - length % step;
    LongVector acc = LongVector.zero(LONGS);
    long at = offset;
    for (; at < vectorEnd; at += step) {
      acc = acc.add(LongVector.fromMemorySegment(LONGS, segment, at, ByteOrder.LITTLE_ENDIAN));
    }
    long total = acc.reduceLanes(VectorOperators.ADD);
    for (; at + Long.BYTES <= end; at += Long.BYTES) {
      total += segment.get(LONG, at);
    }
    return total;
  }
}

package dev.shelf.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reads memory as fast as the threads can, to measure the bandwidth that bounds decoding: a token
 * reads every weight once, so {@code bandwidth / bytes of weights} is the most tokens per second a
 * single sequence can reach. The benchmark's in-process baseline.
 */
public final class ReadProbe {
  private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

  private ReadProbe() {}

  /**
   * Reads every byte of {@code segment} (whole vectors; a tail shorter than one is skipped), split
   * across {@code parallel}'s threads, and returns a checksum so the reads cannot be elided.
   */
  public static long read(MemorySegment segment, Parallel parallel) {
    long step = LONGS.vectorByteSize();
    long vectors = segment.byteSize() / step;
    int parts = parallel.threads() * 8;
    AtomicLong checksum = new AtomicLong();
    parallel.forRange(
        0,
        parts,
        (from, to) -> {
          LongVector acc = LongVector.zero(LONGS);
          for (int part = from; part < to; part++) {
            long start = vectors * part / parts;
            long end = vectors * (part + 1) / parts;
            for (long v = start; v < end; v++) {
              acc =
                  acc.add(
                      LongVector.fromMemorySegment(
                          LONGS, segment, v * step, ByteOrder.LITTLE_ENDIAN));
            }
          }
          checksum.addAndGet(acc.reduceLanes(VectorOperators.ADD));
        });
    return checksum.get();
  }
}

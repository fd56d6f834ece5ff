package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReadProbeTest {
  private static final ValueLayout.OfLong LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** The reference: one plain loop over the whole longs, the last 0 to 7 bytes left out. */
  private static long scalarSum(MemorySegment segment) {
    long sum = 0;
    for (long at = 0; at + Long.BYTES <= segment.byteSize(); at += Long.BYTES) {
      sum += segment.get(LONG, at);
    }
    return sum;
  }

  @ParameterizedTest(name = "{0} threads over {1} bytes")
  @CsvSource({
    "1,0",
    "1,7",
    "2,8",
    "2,100",
    "1,1048576",
    "3,1048576",
    // three chunks, then a tail of whole vectors, a few longs and 5 stray bytes
    "1,1573893",
    "2,1573893",
    "3,1573893",
    "8,1573893"
  })
  void checksumIsTheSumOfTheWholeLittleEndianLongs(int threads, long bytes) {
    try (Arena arena = Arena.ofShared();
        Parallel parallel = new Parallel(threads)) {
      MemorySegment segment = arena.allocate(bytes);
      Random random = new Random(bytes);
      for (long at = 0; at < bytes; at++) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) random.nextInt());
      }
      long expected = scalarSum(segment);

      assertThat(ReadProbe.read(segment, parallel)).isEqualTo(expected);
      // The stray bytes are skipped, not read as part of a long: changing them changes nothing.
      if (bytes % Long.BYTES != 0) {
        segment.set(
            ValueLayout.JAVA_BYTE,
            bytes - 1,
            (byte) ~segment.get(ValueLayout.JAVA_BYTE, bytes - 1));
        assertThat(ReadProbe.read(segment, parallel)).isEqualTo(expected);
      }
    }
  }

  @ParameterizedTest(name = "warm-up over {0} bytes")
  @CsvSource({"0", "5", "24", "16408", "1573893"})
  void warmUpStaysInsideSmallSegments(long bytes) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment segment = arena.allocate(bytes);
      // A read past the end would throw IndexOutOfBoundsException.
      assertThatCode(() -> ReadProbe.warmUp(segment)).doesNotThrowAnyException();
    }
  }
}

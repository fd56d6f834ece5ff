package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * The vector f16 and bf16 widenings against the scalar ones, over all 65,536 bit patterns, at this
 * JVM's width (the build runs it at 128, 256 and 512 bits).
 */
class HalfConversionTest {
  private static final MemorySegment ALL = allHalves();

  private static MemorySegment allHalves() {
    ByteBuffer buffer = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 65536; i++) {
      buffer.putShort((short) i);
    }
    return MemorySegment.ofArray(buffer.array());
  }

  @Test
  void f16MatchesFloat16ToFloatForEveryPattern() {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    float[] lanes = new float[s.length()];
    for (int i = 0; i < 65536; i += s.length()) {
      FloatVector v = VectorLanes.halves(ALL, 2L * i);
      v.intoArray(lanes, 0);
      for (int lane = 0; lane < s.length(); lane++) {
        float expected = Float.float16ToFloat((short) (i + lane));
        if (Float.floatToRawIntBits(lanes[lane]) != Float.floatToRawIntBits(expected)) {
          assertThat(lanes[lane]).as("half 0x%04x", i + lane).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void bf16MatchesScalarForEveryPattern() {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    float[] lanes = new float[s.length()];
    for (int i = 0; i < 65536; i += s.length()) {
      VectorLanes.bfloats(ALL, 2L * i).intoArray(lanes, 0);
      for (int lane = 0; lane < s.length(); lane++) {
        if (Float.floatToRawIntBits(lanes[lane]) != (i + lane) << 16) {
          assertThat(Float.floatToRawIntBits(lanes[lane]))
              .as("bf16 0x%04x", i + lane)
              .isEqualTo((i + lane) << 16);
        }
      }
    }
  }
}

package dev.shelf.engine.tensor;

import jdk.incubator.vector.FloatVector;
import org.jspecify.annotations.Nullable;

/**
 * Which implementation of the kernels a {@link WeightMatrix} runs: the scalar twin, or the Vector
 * API at this JVM's vector width.
 *
 * <p>The width is fixed once per JVM ({@link #vectorBits()}): the JIT turns Vector API calls into
 * vector instructions only when the species is a compile-time constant, so the kernels read a
 * {@code static final} species instead of taking one as an argument. Within a JVM one can choose
 * between {@link #SCALAR} and {@link #vector()}; the differential tests cover the other widths in
 * separate test runs ({@code shelf-engine/pom.xml} forks one per width).
 *
 * <p>The system property {@code shelf.simd}, read once: absent, {@code true} or {@code auto} picks
 * the CPU's preferred width (capped at 512 bits; scalar when the Vector API module is missing or
 * prefers less than 128 bits); {@code false} or {@code scalar} turns SIMD off; {@code 128}, {@code
 * 256} or {@code 512} forces a width (every width runs on every CPU: the Vector API emulates a
 * species the hardware lacks, slowly).
 *
 * @param bits the vector width in bits, or 0 for the scalar twin
 */
public record Simd(int bits) {
  /** The system property that chooses the default implementation. */
  public static final String PROPERTY = "shelf.simd";

  /** The scalar twin: plain Java loops, the reference every vector kernel is tested against. */
  public static final Simd SCALAR = new Simd(0);

  private static final String VECTOR_MODULE = "jdk.incubator.vector";

  /**
   * @throws IllegalArgumentException if {@code bits} is not 0, 128, 256 or 512
   */
  public Simd {
    if (bits != 0 && bits != 128 && bits != 256 && bits != 512) {
      throw new IllegalArgumentException(
          "vector width must be 128, 256 or 512 bits but was " + bits);
    }
  }

  /** The Vector API at this JVM's width. */
  public static Simd vector() {
    return vector(vectorBits());
  }

  /** The Vector API at this width; a {@link WeightMatrix} accepts only {@link #vectorBits()}. */
  public static Simd vector(int bits) {
    if (bits == 0) {
      throw new IllegalArgumentException("vector width must be 128, 256 or 512 bits but was 0");
    }
    return new Simd(bits);
  }

  /** The implementations this JVM can run: the scalar twin and the vector kernels. */
  public static Simd[] all() {
    return new Simd[] {SCALAR, vector()};
  }

  /**
   * The vector width of this JVM: the one {@value #PROPERTY} forces, else the preferred one (at
   * least 128 and at most 512 bits).
   */
  public static int vectorBits() {
    return Default.BITS;
  }

  /** True for the Vector API implementations. */
  public boolean isVector() {
    return bits != 0;
  }

  /** Float lanes per vector (1 for the scalar twin). */
  public int floatLanes() {
    return Math.max(1, bits / 32);
  }

  /** The implementation chosen by the {@value #PROPERTY} system property, read once. */
  public static Simd defaults() {
    return Default.VALUE;
  }

  /** The widest width this CPU prefers, up to 512 bits, or scalar when the Vector API is absent. */
  public static Simd preferred() {
    if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      return SCALAR;
    }
    int bits = Math.min(512, FloatVector.SPECIES_PREFERRED.vectorBitSize());
    return bits < 128 ? SCALAR : vector(bits);
  }

  /**
   * @throws IllegalStateException if the JVM runs without the Vector API module, which the kernel
   *     classes need to load at all
   */
  static void requireVectorModule() {
    if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
      throw new IllegalStateException(
          "the engine's kernels need the Vector API: run java with --add-modules " + VECTOR_MODULE);
    }
  }

  /**
   * Parses a value of the {@value #PROPERTY} property.
   *
   * @throws IllegalArgumentException naming the value if it is not one of {@code true}, {@code
   *     auto}, {@code false}, {@code scalar}, 128, 256, 512
   */
  public static Simd parse(@Nullable String value) {
    if (value == null) {
      return preferred();
    }
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "", "true", "auto" -> preferred();
      case "false", "scalar", "off" -> SCALAR;
      case "128" -> vector(128);
      case "256" -> vector(256);
      case "512" -> vector(512);
      default ->
          throw new IllegalArgumentException(
              PROPERTY
                  + " must be true, false, auto, scalar, 128, 256 or 512 but was '"
                  + value
                  + "'");
    };
  }

  @Override
  public String toString() {
    return bits == 0 ? "scalar" : "vector" + bits;
  }

  private static final class Default {
    static final Simd VALUE = parse(System.getProperty(PROPERTY));
    static final int BITS = VALUE.isVector() ? VALUE.bits : Math.max(128, preferred().bits);
  }
}

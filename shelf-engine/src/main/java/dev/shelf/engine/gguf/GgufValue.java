package dev.shelf.engine.gguf;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One GGUF metadata value, immutable, keeping its exact GGUF type so that a file read and written
 * again is the same file.
 *
 * <p>Representation: integer scalars are held as a {@code long} (unsigned types widened, so a
 * {@code UINT32} of 4294967295 is 4294967295; a {@code UINT64} keeps its raw 64 bits); arrays are
 * held as the Java array of the element type's width: {@code byte[]} for UINT8/INT8, {@code
 * short[]} for UINT16/INT16, {@code int[]} for UINT32/INT32, {@code long[]} for UINT64/INT64,
 * {@code float[]}, {@code double[]}, {@code boolean[]}, {@code String[]}, and {@code GgufValue[]}
 * for arrays of arrays. Unsigned array elements keep their raw bits there and are widened by the
 * accessors.
 */
public final class GgufValue {
  private final GgufValueType type;
  private final @Nullable GgufValueType elementType;
  private final Object value;

  private GgufValue(GgufValueType type, @Nullable GgufValueType elementType, Object value) {
    this.type = type;
    this.elementType = elementType;
    this.value = value;
  }

  public static GgufValue uint8(int value) {
    return integer(GgufValueType.UINT8, value, 0, 0xFF);
  }

  public static GgufValue int8(int value) {
    return integer(GgufValueType.INT8, value, Byte.MIN_VALUE, Byte.MAX_VALUE);
  }

  public static GgufValue uint16(int value) {
    return integer(GgufValueType.UINT16, value, 0, 0xFFFF);
  }

  public static GgufValue int16(int value) {
    return integer(GgufValueType.INT16, value, Short.MIN_VALUE, Short.MAX_VALUE);
  }

  public static GgufValue uint32(long value) {
    return integer(GgufValueType.UINT32, value, 0, 0xFFFF_FFFFL);
  }

  public static GgufValue int32(int value) {
    return new GgufValue(GgufValueType.INT32, null, (long) value);
  }

  /** A UINT64 given by its raw bits: {@code -1L} is 18446744073709551615. */
  public static GgufValue uint64(long rawBits) {
    return new GgufValue(GgufValueType.UINT64, null, rawBits);
  }

  public static GgufValue int64(long value) {
    return new GgufValue(GgufValueType.INT64, null, value);
  }

  public static GgufValue float32(float value) {
    return new GgufValue(GgufValueType.FLOAT32, null, value);
  }

  public static GgufValue float64(double value) {
    return new GgufValue(GgufValueType.FLOAT64, null, value);
  }

  public static GgufValue bool(boolean value) {
    return new GgufValue(GgufValueType.BOOL, null, value);
  }

  public static GgufValue string(String value) {
    return new GgufValue(GgufValueType.STRING, null, Objects.requireNonNull(value, "value"));
  }

  public static GgufValue stringArray(List<String> values) {
    return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, values.toArray(new String[0]));
  }

  public static GgufValue int32Array(int... values) {
    return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, values.clone());
  }

  public static GgufValue float32Array(float... values) {
    return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, values.clone());
  }

  /**
   * An array of {@code elementType}, from the Java array that represents it (see the class
   * comment); the array is copied.
   *
   * @throws IllegalArgumentException if the Java array does not match the element type, or an
   *     element of an array of arrays is not itself an array
   */
  public static GgufValue array(GgufValueType elementType, Object elements) {
    Class<?> expected = javaArrayClass(elementType);
    if (elements.getClass() != expected) {
      throw new IllegalArgumentException(
          "an array of "
              + elementType
              + " is given as "
              + expected.getSimpleName()
              + ", not "
              + elements.getClass().getSimpleName());
    }
    int length = Array.getLength(elements);
    Object copy = Array.newInstance(expected.getComponentType(), length);
    System.arraycopy(elements, 0, copy, 0, length);
    if (copy instanceof GgufValue[] nested) {
      for (GgufValue element : nested) {
        if (Objects.requireNonNull(element, "element").type != GgufValueType.ARRAY) {
          throw new IllegalArgumentException(
              "an array of ARRAY holds arrays only, not " + element.type);
        }
      }
    } else if (copy instanceof String[] strings) {
      for (String s : strings) {
        Objects.requireNonNull(s, "element");
      }
    }
    return new GgufValue(GgufValueType.ARRAY, elementType, copy);
  }

  static Class<?> javaArrayClass(GgufValueType elementType) {
    return switch (elementType) {
      case UINT8, INT8 -> byte[].class;
      case UINT16, INT16 -> short[].class;
      case UINT32, INT32 -> int[].class;
      case UINT64, INT64 -> long[].class;
      case FLOAT32 -> float[].class;
      case FLOAT64 -> double[].class;
      case BOOL -> boolean[].class;
      case STRING -> String[].class;
      case ARRAY -> GgufValue[].class;
    };
  }

  private static GgufValue integer(GgufValueType type, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          type + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return new GgufValue(type, null, value);
  }

  /** Wraps an array already built by the reader, without copying. */
  static GgufValue wrapArray(GgufValueType elementType, Object elements) {
    return new GgufValue(GgufValueType.ARRAY, elementType, elements);
  }

  /** Wraps a scalar already in its representation (see the class comment). */
  static GgufValue wrapScalar(GgufValueType type, Object value) {
    return new GgufValue(type, null, value);
  }

  public GgufValueType type() {
    return type;
  }

  /** The type of the elements of an array. */
  public GgufValueType elementType() {
    if (elementType == null) {
      throw new GgufException("value is " + type + ", not an ARRAY");
    }
    return elementType;
  }

  /** Number of elements of an array. */
  public int length() {
    return Array.getLength(array("value", null));
  }

  /** The representation itself (not copied): for the writer. */
  Object raw() {
    return value;
  }

  public long asLong() {
    return asLong("value");
  }

  public int asInt() {
    return asInt("value");
  }

  public float asFloat() {
    return asFloat("value");
  }

  public double asDouble() {
    return asDouble("value");
  }

  public boolean asBoolean() {
    return asBoolean("value");
  }

  public String asString() {
    return asString("value");
  }

  public String[] asStringArray() {
    return asStringArray("value");
  }

  public int[] asIntArray() {
    return asIntArray("value");
  }

  public long[] asLongArray() {
    return asLongArray("value");
  }

  public float[] asFloatArray() {
    return asFloatArray("value");
  }

  /** The elements of an array of any type, each as a value of the element type. */
  public List<GgufValue> elements() {
    Object array = array("value", null);
    GgufValueType et = elementType();
    int n = Array.getLength(array);
    List<GgufValue> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(
          switch (et) {
            case ARRAY -> ((GgufValue[]) array)[i];
            case FLOAT32, FLOAT64, BOOL, STRING ->
                new GgufValue(et, null, Objects.requireNonNull(Array.get(array, i)));
            default -> new GgufValue(et, null, integerElement(array, et, i));
          });
    }
    return out;
  }

  long asLong(String subject) {
    if (!type.isInteger()) {
      throw mismatch(subject, "an integer");
    }
    long v = (Long) value;
    if (type == GgufValueType.UINT64 && v < 0) {
      throw new GgufException(
          subject + " is " + Long.toUnsignedString(v) + " (UINT64), which does not fit in a long");
    }
    return v;
  }

  int asInt(String subject) {
    long v = asLong(subject);
    if (v != (int) v) {
      throw new GgufException(
          subject + " is " + v + " (" + type + "), which does not fit in an int");
    }
    return (int) v;
  }

  double asDouble(String subject) {
    return switch (type) {
      case FLOAT32 -> (Float) value;
      case FLOAT64 -> (Double) value;
      default -> throw mismatch(subject, "FLOAT32 or FLOAT64");
    };
  }

  float asFloat(String subject) {
    return (float) asDouble(subject);
  }

  boolean asBoolean(String subject) {
    if (type != GgufValueType.BOOL) {
      throw mismatch(subject, "BOOL");
    }
    return (Boolean) value;
  }

  String asString(String subject) {
    if (type != GgufValueType.STRING) {
      throw mismatch(subject, "STRING");
    }
    return (String) value;
  }

  String[] asStringArray(String subject) {
    return ((String[]) array(subject, GgufValueType.STRING)).clone();
  }

  long[] asLongArray(String subject) {
    Object array = array(subject, null);
    GgufValueType et = elementType();
    if (!et.isInteger()) {
      throw mismatch(subject, "an ARRAY of integers");
    }
    int n = Array.getLength(array);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = integerElement(array, et, i);
      if (et == GgufValueType.UINT64 && out[i] < 0) {
        throw new GgufException(
            subject
                + " element "
                + i
                + " is "
                + Long.toUnsignedString(out[i])
                + " (UINT64), which does not fit in a long");
      }
    }
    return out;
  }

  int[] asIntArray(String subject) {
    if (elementType == GgufValueType.INT32) {
      return ((int[]) value).clone();
    }
    long[] longs = asLongArray(subject);
    int[] out = new int[longs.length];
    for (int i = 0; i < longs.length; i++) {
      if (longs[i] != (int) longs[i]) {
        throw new GgufException(
            subject
                + " element "
                + i
                + " is "
                + longs[i]
                + " ("
                + elementType
                + "), which does not fit in an int");
      }
      out[i] = (int) longs[i];
    }
    return out;
  }

  float[] asFloatArray(String subject) {
    Object array = array(subject, null);
    if (array instanceof float[] floats) {
      return floats.clone();
    }
    if (array instanceof double[] doubles) {
      float[] out = new float[doubles.length];
      for (int i = 0; i < doubles.length; i++) {
        out[i] = (float) doubles[i];
      }
      return out;
    }
    throw mismatch(subject, "an ARRAY of FLOAT32 or FLOAT64");
  }

  private Object array(String subject, @Nullable GgufValueType expectedElement) {
    if (type != GgufValueType.ARRAY
        || (expectedElement != null && elementType != expectedElement)) {
      throw mismatch(
          subject, "an ARRAY" + (expectedElement == null ? "" : " of " + expectedElement));
    }
    return value;
  }

  private static long integerElement(Object array, GgufValueType et, int i) {
    return switch (et) {
      case UINT8 -> Byte.toUnsignedLong(((byte[]) array)[i]);
      case INT8 -> ((byte[]) array)[i];
      case UINT16 -> Short.toUnsignedLong(((short[]) array)[i]);
      case INT16 -> ((short[]) array)[i];
      case UINT32 -> Integer.toUnsignedLong(((int[]) array)[i]);
      case INT32 -> ((int[]) array)[i];
      case UINT64, INT64 -> ((long[]) array)[i];
      default -> throw new IllegalStateException("not an integer type: " + et);
    };
  }

  private GgufException mismatch(String subject, String expected) {
    return new GgufException(subject + " is " + describeType() + ", expected " + expected);
  }

  private String describeType() {
    return elementType == null ? type.name() : "an ARRAY of " + elementType;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof GgufValue other
        && type == other.type
        && elementType == other.elementType
        && Objects.deepEquals(value, other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
  }

  @Override
  public String toString() {
    if (elementType == null) {
      return type == GgufValueType.UINT64
          ? "UINT64 " + Long.toUnsignedString((Long) value)
          : type + " " + value;
    }
    int n = Array.getLength(value);
    StringBuilder sb = new StringBuilder("ARRAY of ").append(n).append(' ').append(elementType);
    sb.append(" [");
    for (int i = 0; i < Math.min(n, 8); i++) {
      sb.append(i == 0 ? "" : ", ").append(Array.get(value, i));
    }
    return sb.append(n > 8 ? ", ...]" : "]").toString();
  }
}

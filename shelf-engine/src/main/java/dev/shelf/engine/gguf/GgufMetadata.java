package dev.shelf.engine.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The metadata of a GGUF file: keys in file order, each with its typed value. The typed getters
 * fail with a {@link GgufException} naming the file and the key when the key is missing or holds
 * another type; the integer getters accept any integer type whose value fits, the float getters
 * FLOAT32 and FLOAT64.
 */
public final class GgufMetadata {
  private final String source;
  private final SequencedMap<String, GgufValue> values;

  GgufMetadata(String source, SequencedMap<String, GgufValue> values) {
    this.source = source;
    this.values = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(values));
  }

  /** Every key and value, in file order. */
  public SequencedMap<String, GgufValue> asMap() {
    return values;
  }

  public Set<String> keys() {
    return values.keySet();
  }

  public int size() {
    return values.size();
  }

  public boolean contains(String key) {
    return values.containsKey(key);
  }

  /** The value of {@code key}, or null when the file does not have it. */
  public @Nullable GgufValue find(String key) {
    return values.get(key);
  }

  /** The value of {@code key}; throws naming the key when it is missing. */
  public GgufValue get(String key) {
    GgufValue value = values.get(key);
    if (value == null) {
      throw new GgufException(source + ": metadata key '" + key + "' is missing");
    }
    return value;
  }

  public String getString(String key) {
    return get(key).asString(subject(key));
  }

  public String getString(String key, String fallback) {
    return contains(key) ? getString(key) : fallback;
  }

  public int getInt(String key) {
    return get(key).asInt(subject(key));
  }

  public int getInt(String key, int fallback) {
    return contains(key) ? getInt(key) : fallback;
  }

  public long getLong(String key) {
    return get(key).asLong(subject(key));
  }

  public long getLong(String key, long fallback) {
    return contains(key) ? getLong(key) : fallback;
  }

  public float getFloat(String key) {
    return get(key).asFloat(subject(key));
  }

  public float getFloat(String key, float fallback) {
    return contains(key) ? getFloat(key) : fallback;
  }

  public double getDouble(String key) {
    return get(key).asDouble(subject(key));
  }

  public boolean getBoolean(String key) {
    return get(key).asBoolean(subject(key));
  }

  public boolean getBoolean(String key, boolean fallback) {
    return contains(key) ? getBoolean(key) : fallback;
  }

  /** A fresh copy of an array of STRING. */
  public String[] getStringArray(String key) {
    return get(key).asStringArray(subject(key));
  }

  /** A fresh copy of an array of any integer type whose elements all fit in an int. */
  public int[] getIntArray(String key) {
    return get(key).asIntArray(subject(key));
  }

  /** A fresh copy of an array of any integer type whose elements all fit in a long. */
  public long[] getLongArray(String key) {
    return get(key).asLongArray(subject(key));
  }

  /** A fresh copy of an array of FLOAT32 (or FLOAT64, narrowed). */
  public float[] getFloatArray(String key) {
    return get(key).asFloatArray(subject(key));
  }

  private String subject(String key) {
    return source + ": metadata key '" + key + "'";
  }

  @Override
  public String toString() {
    return "GgufMetadata" + values;
  }
}

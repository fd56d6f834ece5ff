package dev.shelf.engine.model;

import dev.shelf.engine.testing.SharedFixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The shared stories260K fixture ({@code ../shared/models/stories260k}, found from the {@code
 * shelf.root} property surefire sets, or above the working directory) and a tiny JSON reader for
 * its golden files (a copy of the tokenizer tests' reader: the engine has no JSON library).
 */
final class StoriesFixture {
  private StoriesFixture() {}

  static Path dir() {
    return SharedFixtures.models().resolve("stories260k");
  }

  static Path gguf() {
    return dir().resolve("stories260K.gguf");
  }

  /** The value of {@code key} in a JSON object; fails naming the key when it is absent. */
  static Object field(Object jsonObject, String key) {
    Object value = ((Map<?, ?>) jsonObject).get(key);
    if (value == null) {
      throw new IllegalStateException("golden JSON has no '" + key + "'");
    }
    return value;
  }

  static double number(Object jsonObject, String key) {
    return (Double) field(jsonObject, key);
  }

  static int[] ints(Object jsonArray) {
    List<?> list = (List<?>) jsonArray;
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Double) list.get(i)).intValue();
    }
    return out;
  }

  /** A minimal JSON reader (objects, arrays, strings, numbers, literals) for the golden files. */
  static Object parseJson(String json) {
    return SharedFixtures.parseJson(json);
  }
}

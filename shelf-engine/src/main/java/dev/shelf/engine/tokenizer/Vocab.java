package dev.shelf.engine.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The token table shared by every algorithm: texts, scores, llama.cpp token attributes and the text
 * to id map (every token is in it, control and byte tokens included, as in llama.cpp).
 */
final class Vocab {
  static final int UNDEFINED = 0;
  static final int UNKNOWN = 1;
  static final int UNUSED = 1 << 1;
  static final int NORMAL = 1 << 2;
  static final int CONTROL = 1 << 3;
  static final int USER_DEFINED = 1 << 4;
  static final int BYTE = 1 << 5;

  final String[] texts;
  final float[] scores;
  final int[] attrs;
  private final Map<String, Integer> ids;
  final int maxTokenChars;

  Vocab(String[] texts, float[] scores, int[] attrs, String source) {
    this.texts = texts;
    this.scores = scores;
    this.attrs = attrs;
    this.ids = HashMap.newHashMap(texts.length);
    int max = 0;
    for (int i = 0; i < texts.length; i++) {
      Integer previous = ids.putIfAbsent(texts[i], i);
      if (previous != null) {
        throw new TokenizerException(
            source
                + ": duplicate token in vocabulary: '"
                + texts[i]
                + "' has ids "
                + previous
                + " and "
                + i);
      }
      max = Math.max(max, texts[i].length());
    }
    this.maxTokenChars = max;
  }

  /** llama.cpp's attribute for a {@code tokenizer.ggml.token_type} value. */
  static int attrOfType(int type) {
    return switch (type) {
      case 1 -> NORMAL;
      case 2 -> UNKNOWN;
      case 3 -> CONTROL;
      case 4 -> USER_DEFINED;
      case 5 -> UNUSED;
      case 6 -> BYTE;
      default -> UNDEFINED;
    };
  }

  int size() {
    return texts.length;
  }

  /** The id of a token text, or -1. */
  int id(String text) {
    Integer id = ids.get(text);
    return id == null ? -1 : id;
  }

  boolean has(int id, int attr) {
    return (attrs[id] & attr) != 0;
  }

  /** A growable int array, the output buffer of the encoders. */
  static final class IntList {
    private int[] data = new int[16];
    private int size;

    void add(int value) {
      if (size == data.length) {
        data = Arrays.copyOf(data, size * 2);
      }
      data[size++] = value;
    }

    int size() {
      return size;
    }

    int get(int i) {
      return data[i];
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}

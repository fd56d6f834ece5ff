package dev.shelf.guard.keyword;

import java.util.Arrays;

/**
 * The trie's edges below the root: an open-addressing hash from {@code (state, char)} to the child
 * state. One flat table instead of a map per node keeps 20,000 terms in a few MB and makes a lookup
 * one multiply, one or two probes. Written only while compiling; read-only afterwards.
 */
final class Transitions {
  private static final long EMPTY = -1L;

  private long[] keys;
  private int[] values;
  private int size;

  Transitions(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[capacity];
    values = new int[capacity];
    Arrays.fill(keys, EMPTY);
  }

  private static long key(int state, char c) {
    return ((long) state << 16) | c;
  }

  private static int slot(long key, int mask) {
    return (int) ((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
  }

  /** The child of {@code state} on {@code c}, or -1. */
  int get(int state, char c) {
    long key = key(state, c);
    long[] k = keys;
    int mask = k.length - 1;
    for (int i = slot(key, mask); ; i = (i + 1) & mask) {
      long found = k[i];
      if (found == key) {
        return values[i];
      }
      if (found == EMPTY) {
        return -1;
      }
    }
  }

  void put(int state, char c, int child) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    long key = key(state, c);
    int mask = keys.length - 1;
    int i = slot(key, mask);
    while (keys[i] != EMPTY && keys[i] != key) {
      i = (i + 1) & mask;
    }
    if (keys[i] == EMPTY) {
      size++;
    }
    keys[i] = key;
    values[i] = child;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new int[oldKeys.length * 2];
    Arrays.fill(keys, EMPTY);
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        put((int) (oldKeys[i] >>> 16), (char) oldKeys[i], oldValues[i]);
      }
    }
  }
}

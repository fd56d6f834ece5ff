package dev.shelf.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of {@link WeightMatrix#matmul}: a tile of up to {@link WeightMatrix#ROWS} rows,
 * already decoded to floats, multiplied with every input, continuing each (row, input) pair's
 * running sums ({@code accs}: {@code lanes} floats per pair, row major; {@code tails}: the scalar
 * tail of rows whose length is not a whole number of vectors).
 *
 * <h2>Why this shape</h2>
 *
 * The 4 x 4 kernel keeps sixteen accumulators in registers (one parity per call) and loads four
 * weight vectors and four input vectors for sixteen fused multiply-adds, so it is bound by the
 * multiply-adds, not by the loads: the arithmetic that makes prefill and batched decode
 * compute-bound. Each accumulator adds {@code w[e, e + lanes) * x[e, e + lanes)} in element order,
 * even- and odd-numbered vectors into their own accumulators, as the fused {@code dotVector} of
 * every type does, so a batched result equals the unbatched one bit for bit.
 */
final class Tiles {
  private static final VectorSpecies<Float> S = VectorLanes.SPECIES;
  private static final int L = S.length();

  private Tiles() {}

  /** {@code sum w[i] * x[i]} over {@code [0, n)}, in element order: the scalar twin's dot. */
  static float dotPlain(float[] w, float[] x, int n) {
    float acc = 0f;
    for (int i = 0; i < n; i++) {
      acc += w[i] * x[i];
    }
    return acc;
  }

  /**
   * Runs rows {@code [0, rows)} of the tile {@code w} (row {@code r} at {@code r * stride}, {@code
   * len} floats) over elements {@code [col, col + len)} of each of the {@code n} inputs, input
   * {@code k} at {@code k * xStride} in {@code xs} ({@code col} a multiple of {@code 2 * lanes}, so
   * that vectors are numbered alike in the tile and in the row). The running sums of the
   * even-numbered vectors of row {@code r} and input {@code k} are the {@code lanes} floats at
   * {@code (r * n + k) * lanes}, those of the odd ones the same place in the second half of {@code
   * accs}: a pass over one parity touches only its own half, as the single pass did.
   */
  static void multiply(
      float[] w,
      int stride,
      int rows,
      int len,
      float[] xs,
      int n,
      int xStride,
      int col,
      float[] accs,
      float[] tails) {
    int bound = S.loopBound(len);
    int half = accs.length / 2;
    if (rows == 4) {
      // Each group of four inputs takes both parities before the next group: the group's slices
      // of x (16 KB at 1024 columns) are then read twice from L1, where with the parities outside
      // the groups every input's slice went through L1 twice, half of its lines each time. The
      // 4 x 4 kernel alone, one Zen 5 thread: 160 to 182 GFLOP/s with 8 inputs, 115 to 140 with
      // 32 and 128. Each accumulator takes its multiply-adds in the same order as before.
      int k = 0;
      for (; k + 4 <= n; k += 4) {
        for (int parity = 0; parity < 2; parity++) {
          kernel4x4(
              w,
              stride,
              parity * L,
              bound,
              xs,
              k * xStride + col,
              xStride,
              accs,
              parity * half,
              n,
              k);
        }
      }
      for (; k < n; k++) {
        for (int parity = 0; parity < 2; parity++) {
          kernel4x1(w, stride, parity * L, bound, xs, k * xStride + col, accs, parity * half, n, k);
        }
      }
    } else {
      for (int parity = 0; parity < 2; parity++) {
        multiplyRows(w, stride, rows, parity * L, bound, xs, n, xStride, col, accs, parity * half);
      }
    }
    if (bound < len) {
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < n; k++) {
          float tail = tails[r * n + k];
          for (int e = bound; e < len; e++) {
            tail += w[r * stride + e] * xs[k * xStride + col + e];
          }
          tails[r * n + k] = tail;
        }
      }
    }
  }

  /**
   * {@code outs[k][row + r]} for every row {@code r < rows} of a finished tile and every input
   * {@code k}: the pair's even and odd running sums added lane by lane and summed in {@link
   * VectorLanes#sum(FloatVector)}'s tree order, then its scalar tail; the same float {@code
   * dotVector} returns. A kernel of its own: in {@code matmul}'s compilation the shuffle tree
   * crossed C2's inlining cutoff, and as scalar code (a store and a loop per pair) these sums took
   * a quarter of batched decode.
   */
  static void kernelSums(float[] accs, float[] tails, int rows, float[][] outs, int row) {
    int n = outs.length;
    int half = accs.length / 2;
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < n; k++) {
        int at = (r * n + k) * L;
        FloatVector even = FloatVector.fromArray(S, accs, at);
        FloatVector odd = FloatVector.fromArray(S, accs, half + at);
        outs[k][row + r] = VectorLanes.sum(even, odd) + tails[r * n + k];
      }
    }
  }

  /**
   * The generic loop for a tile of fewer than four rows, over vectors {@code first, first + 2L,
   * ...}.
   */
  private static void multiplyRows(
      float[] w,
      int stride,
      int rows,
      int first,
      int bound,
      float[] xs,
      int n,
      int xStride,
      int col,
      float[] accs,
      int base) {
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < n; k++) {
        int at = base + (r * n + k) * L;
        FloatVector acc = FloatVector.fromArray(S, accs, at);
        for (int e = first; e < bound; e += 2 * L) {
          acc =
              FloatVector.fromArray(S, w, r * stride + e)
                  .fma(FloatVector.fromArray(S, xs, k * xStride + col + e), acc);
        }
        acc.intoArray(accs, at);
      }
    }
  }

  private static void kernel4x1(
      float[] w,
      int stride,
      int first,
      int bound,
      float[] xs,
      int xAt,
      float[] accs,
      int base,
      int n,
      int k) {
    int a0 = base + k * L;
    int a1 = base + (n + k) * L;
    int a2 = base + (2 * n + k) * L;
    int a3 = base + (3 * n + k) * L;
    FloatVector c0 = FloatVector.fromArray(S, accs, a0);
    FloatVector c1 = FloatVector.fromArray(S, accs, a1);
    FloatVector c2 = FloatVector.fromArray(S, accs, a2);
    FloatVector c3 = FloatVector.fromArray(S, accs, a3);
    for (int e = first; e < bound; e += 2 * L) {
      FloatVector v = FloatVector.fromArray(S, xs, xAt + e);
      c0 = FloatVector.fromArray(S, w, e).fma(v, c0);
      c1 = FloatVector.fromArray(S, w, stride + e).fma(v, c1);
      c2 = FloatVector.fromArray(S, w, 2 * stride + e).fma(v, c2);
      c3 = FloatVector.fromArray(S, w, 3 * stride + e).fma(v, c3);
    }
    c0.intoArray(accs, a0);
    c1.intoArray(accs, a1);
    c2.intoArray(accs, a2);
    c3.intoArray(accs, a3);
  }

  /** Rows 0-3 of the tile against inputs {@code k .. k + 3}: sixteen accumulators. */
  private static void kernel4x4(
      float[] w,
      int stride,
      int first,
      int bound,
      float[] xs,
      int xAt,
      int xStride,
      float[] accs,
      int base,
      int n,
      int k) {
    int r0 = base + k * L;
    int r1 = base + (n + k) * L;
    int r2 = base + (2 * n + k) * L;
    int r3 = base + (3 * n + k) * L;
    FloatVector c00 = FloatVector.fromArray(S, accs, r0);
    FloatVector c01 = FloatVector.fromArray(S, accs, r0 + L);
    FloatVector c02 = FloatVector.fromArray(S, accs, r0 + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, accs, r0 + 3 * L);
    FloatVector c10 = FloatVector.fromArray(S, accs, r1);
    FloatVector c11 = FloatVector.fromArray(S, accs, r1 + L);
    FloatVector c12 = FloatVector.fromArray(S, accs, r1 + 2 * L);
    FloatVector c13 = FloatVector.fromArray(S, accs, r1 + 3 * L);
    FloatVector c20 = FloatVector.fromArray(S, accs, r2);
    FloatVector c21 = FloatVector.fromArray(S, accs, r2 + L);
    FloatVector c22 = FloatVector.fromArray(S, accs, r2 + 2 * L);
    FloatVector c23 = FloatVector.fromArray(S, accs, r2 + 3 * L);
    FloatVector c30 = FloatVector.fromArray(S, accs, r3);
    FloatVector c31 = FloatVector.fromArray(S, accs, r3 + L);
    FloatVector c32 = FloatVector.fromArray(S, accs, r3 + 2 * L);
    FloatVector c33 = FloatVector.fromArray(S, accs, r3 + 3 * L);
    for (int e = first; e < bound; e += 2 * L) {
      FloatVector w0 = FloatVector.fromArray(S, w, e);
      FloatVector w1 = FloatVector.fromArray(S, w, stride + e);
      FloatVector w2 = FloatVector.fromArray(S, w, 2 * stride + e);
      FloatVector w3 = FloatVector.fromArray(S, w, 3 * stride + e);
      FloatVector v = FloatVector.fromArray(S, xs, xAt + e);
      c00 = w0.fma(v, c00);
      c10 = w1.fma(v, c10);
      c20 = w2.fma(v, c20);
      c30 = w3.fma(v, c30);
      v = FloatVector.fromArray(S, xs, xAt + xStride + e);
      c01 = w0.fma(v, c01);
      c11 = w1.fma(v, c11);
      c21 = w2.fma(v, c21);
      c31 = w3.fma(v, c31);
      v = FloatVector.fromArray(S, xs, xAt + 2 * xStride + e);
      c02 = w0.fma(v, c02);
      c12 = w1.fma(v, c12);
      c22 = w2.fma(v, c22);
      c32 = w3.fma(v, c32);
      v = FloatVector.fromArray(S, xs, xAt + 3 * xStride + e);
      c03 = w0.fma(v, c03);
      c13 = w1.fma(v, c13);
      c23 = w2.fma(v, c23);
      c33 = w3.fma(v, c33);
    }
    c00.intoArray(accs, r0);
    c01.intoArray(accs, r0 + L);
    c02.intoArray(accs, r0 + 2 * L);
    c03.intoArray(accs, r0 + 3 * L);
    c10.intoArray(accs, r1);
    c11.intoArray(accs, r1 + L);
    c12.intoArray(accs, r1 + 2 * L);
    c13.intoArray(accs, r1 + 3 * L);
    c20.intoArray(accs, r2);
    c21.intoArray(accs, r2 + L);
    c22.intoArray(accs, r2 + 2 * L);
    c23.intoArray(accs, r2 + 3 * L);
    c30.intoArray(accs, r3);
    c31.intoArray(accs, r3 + L);
    c32.intoArray(accs, r3 + 2 * L);
    c33.intoArray(accs, r3 + 3 * L);
  }
}

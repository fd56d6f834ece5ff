package dev.shelf.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of {@link WeightMatrix#matmul}: one input against one decoded tile, continuing
 * that input's running sums ({@code accs}: {@code lanes} floats per input; {@code extra}: the min
 * terms, or the scalar tail of the float types). They add in exactly the order of the fused
 * kernels, so a batched result equals the unbatched one bit for bit.
 */
final class Tiles {
  private Tiles() {}

  static void dotVector(
      int group,
      boolean hasMins,
      int len,
      float[] q,
      float[] scales,
      float[] mins,
      float[] x,
      int col,
      float[] sums,
      float[] accs,
      float[] extra,
      int k) {
    VectorSpecies<Float> s = VectorLanes.SPECIES;
    int lanes = s.length();
    FloatVector acc = FloatVector.fromArray(s, accs, k * lanes);
    float more = extra[k];
    if (group == 0) {
      int bound = s.loopBound(len);
      for (int e = 0; e < bound; e += lanes) {
        acc = FloatVector.fromArray(s, q, e).fma(FloatVector.fromArray(s, x, col + e), acc);
      }
      for (int e = bound; e < len; e++) {
        more += q[e] * x[col + e];
      }
    } else {
      int groupBase = col / group;
      for (int g = 0; g < len / group; g++) {
        FloatVector block = FloatVector.zero(s);
        for (int e = g * group; e < (g + 1) * group; e += lanes) {
          block = FloatVector.fromArray(s, q, e).fma(FloatVector.fromArray(s, x, col + e), block);
        }
        acc = VectorLanes.scaled(block, scales[g], acc);
        if (hasMins) {
          more += mins[g] * sums[groupBase + g];
        }
      }
    }
    acc.intoArray(accs, k * lanes);
    extra[k] = more;
  }

  static void dotScalar(
      int group,
      boolean hasMins,
      int len,
      float[] q,
      float[] scales,
      float[] mins,
      float[] x,
      int col,
      float[] sums,
      float[] accs,
      float[] extra,
      int k) {
    float acc = accs[k];
    float more = extra[k];
    if (group == 0) {
      for (int e = 0; e < len; e++) {
        acc += q[e] * x[col + e];
      }
    } else {
      int groupBase = col / group;
      for (int g = 0; g < len / group; g++) {
        float block = 0f;
        for (int e = g * group; e < (g + 1) * group; e++) {
          block += q[e] * x[col + e];
        }
        acc += block * scales[g];
        if (hasMins) {
          more += mins[g] * sums[groupBase + g];
        }
      }
    }
    accs[k] = acc;
    extra[k] = more;
  }
}

package dev.shelf.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Truncation} against the full sort it replaces ({@link FullSortSampler}): the same kept ids
 * in the same order, and the same drawn token for a seed, over random logits (ties, -0, -inf, NaN,
 * +inf) and random settings.
 */
class TruncationTest {
  static final double[] TOP_P = {1, 1, 0, 1e-12, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999999, -1};
  static final double[] MIN_P = {0, 0, 0, 1, 1e-300, 1e-6, 0.05, 0.1, 0.5, -1};

  /** Logits of one of several shapes: spread, tied, clipped, degenerate. */
  static float[] logits(SplittableRandom r, int n) {
    float[] out = new float[n];
    int shape = r.nextInt(8);
    double scale = 0.2 + r.nextDouble() * 5;
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (shape) {
            case 0, 1 -> (float) (gaussian(r) * scale);
            case 2 -> r.nextInt(9) - 4 + (r.nextBoolean() ? 0.5f : 0f); // many ties
            case 3 -> 1.5f; // all equal
            case 4 ->
                switch (r.nextInt(5)) { // -inf, both zeros, and the rest
                  case 0 -> Float.NEGATIVE_INFINITY;
                  case 1 -> r.nextBoolean() ? 0f : -0f;
                  default -> (float) (gaussian(r) * scale);
                };
            case 5 -> r.nextInt(50) == 0 ? (float) gaussian(r) : Float.NEGATIVE_INFINITY;
            case 6 -> (float) (gaussian(r) * 1e30); // far apart: most exponentials are 0
            default -> (float) (gaussian(r) * 1e-40); // subnormal: all nearly equal
          };
    }
    for (int spikes = r.nextInt(4); spikes > 0; spikes--) {
      out[r.nextInt(n)] += 5 + r.nextInt(20);
    }
    if (r.nextInt(30) == 0) {
      out[r.nextInt(n)] = r.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY;
    }
    if (r.nextInt(40) == 0) {
      Arrays.fill(out, Float.NEGATIVE_INFINITY);
    }
    return out;
  }

  static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  static SamplingParams randomParams(SplittableRandom r, int n) {
    int k =
        switch (r.nextInt(4)) {
          case 0, 1 -> 0;
          case 2 -> 1 + r.nextInt(n + 200);
          default -> Sampler.SELECT_MAX + 1 + r.nextInt(n + 1);
        };
    double p = TOP_P[r.nextInt(TOP_P.length)];
    double m = MIN_P[r.nextInt(MIN_P.length)];
    double[] temperatures = {0.1, 0.7, 1, 1.5};
    return new SamplingParams(
        temperatures[r.nextInt(temperatures.length)],
        k,
        p < 0 ? r.nextDouble() : p,
        m < 0 ? r.nextDouble() : m,
        1,
        64,
        0,
        0,
        r.nextLong());
  }

  static void assertSameAsTheFullSort(float[] logits, SamplingParams params) {
    Truncation.Kept expected = FullSortSampler.keep(logits, params);
    Truncation.Kept actual = Truncation.keep(logits, params.topK(), params.topP(), params.minP());
    String where = params + " over " + logits.length + " logits";
    assertThat(actual.kept()).as(where).isEqualTo(expected.kept());
    assertThat(Arrays.copyOf(actual.ids(), actual.kept()))
        .as(where)
        .containsExactly(Arrays.copyOf(expected.ids(), expected.kept()));
    Sampler sampler = new Sampler(params, new int[0]);
    FullSortSampler reference = new FullSortSampler(params);
    for (int draw = 0; draw < 3; draw++) {
      assertThat(sampler.sample(logits)).as(where).isEqualTo(reference.sample(logits));
    }
  }

  static boolean filtered(SamplingParams params, int n) {
    return (params.topK() > 0 && params.topK() < n) || params.topP() < 1 || params.minP() > 0;
  }

  @Test
  void keepsWhatTheFullSortKeepsOverRandomLogitsAndSettings() {
    SplittableRandom r = new SplittableRandom(2024);
    int fast = 0;
    int fellBack = 0;
    for (int round = 0; round < 4000; round++) {
      int bound =
          switch (r.nextInt(4)) {
            case 0 -> 8;
            case 1 -> 100;
            case 2 -> 1000;
            default -> 6000;
          };
      int n = 1 + r.nextInt(bound);
      float[] logits = logits(r, n);
      SamplingParams params = randomParams(r, n);
      if (!filtered(params, n)) {
        continue;
      }
      assertSameAsTheFullSort(logits, params);
      if (params.topK() == 0 || params.topK() > Sampler.SELECT_MAX) {
        if (Truncation.withoutFullSort(logits, params.topK(), params.topP(), params.minP())
            == null) {
          fellBack++;
        } else {
          fast++;
        }
      }
    }
    // both ways are taken: the head alone almost always, the full sort on NaN, inf and exact ties
    assertThat(fast).isGreaterThan(1500);
    assertThat(fellBack).isBetween(1, fast / 5);
  }

  @Test
  void keepsWhatTheFullSortKeepsOverWholeVocabularies() {
    SplittableRandom r = new SplittableRandom(7);
    for (int n : new int[] {32000, 151936}) {
      float[] logits = new float[n];
      for (int i = 0; i < n; i++) {
        logits[i] = (float) (gaussian(r) * 2.5);
      }
      for (int i = 0; i < 20; i++) {
        logits[r.nextInt(n)] += 12 + r.nextInt(6);
      }
      for (double p : new double[] {0.5, 0.9, 0.95, 0.999}) {
        for (double m : new double[] {0, 0.05}) {
          for (int k : new int[] {0, 1000}) {
            SamplingParams params = new SamplingParams(0.8, k, p, m, 1, 64, 0, 0, n + k);
            assertSameAsTheFullSort(logits, params);
            assertThat(Truncation.withoutFullSort(logits, k, p, m)).isNotNull();
          }
        }
      }
    }
  }

  @Test
  void aCumulativeProbabilityExactlyAtPIsCutByTheFullSort() {
    // four equal logits: the sorted sum is exactly 4 and the second cumulative exactly 0.5, which
    // a sum bounded only to its rounding cannot tell from 0.5 - ulp
    float[] logits = {2f, 2f, 2f, 2f};
    assertThat(Truncation.withoutFullSort(logits, 0, 0.5, 0)).isNull();
    Truncation.Kept kept = Truncation.keep(logits, 0, 0.5, 0);
    assertThat(Arrays.copyOf(kept.ids(), kept.kept())).containsExactly(0, 1);
  }

  @Test
  void aSumInIdOrderWouldCutElsewhereWhereTheSortedSumLandsOnP() {
    // p set to the full sort's own cumulative probability at some token, on logits whose
    // denominator summed in id order differs in the last bit: a cut from that sum would move
    SplittableRandom r = new SplittableRandom(5);
    int found = 0;
    for (int round = 0; round < 20000 && found < 20; round++) {
      float[] logits = new float[3 + r.nextInt(60)];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = (float) (gaussian(r) * 3);
      }
      int[] sorted = FullSortSampler.sortedIds(logits);
      double max = logits[sorted[0]];
      double sortedSum = 0;
      double idSum = 0;
      for (int i = 0; i < logits.length; i++) {
        sortedSum += Math.exp(logits[sorted[i]] - max);
        idSum += Math.exp(logits[i] - max);
      }
      int at = r.nextInt(logits.length);
      double p = 0;
      double naive = 0;
      for (int i = 0; i <= at; i++) {
        p += Math.exp(logits[sorted[i]] - max) / sortedSum;
        naive += Math.exp(logits[sorted[i]] - max) / idSum;
      }
      if (sortedSum == idSum || naive >= p || p >= 1) {
        continue;
      }
      found++;
      SamplingParams params = new SamplingParams(1, 0, p, 0, 1, 64, 0, 0, round);
      assertThat(FullSortSampler.keep(logits, params).kept()).isLessThanOrEqualTo(at + 1);
      assertSameAsTheFullSort(logits, params);
    }
    assertThat(found).isEqualTo(20);
  }

  @Test
  void minPAloneSortsOnlyTheLogitsAboveItsFloor() {
    float[] logits = {1f, 3f, 2f, 0f, 2.5f, Float.NEGATIVE_INFINITY, 3f};
    Truncation.Kept kept = Truncation.keep(logits, 0, 1, Math.exp(-0.75));
    assertThat(kept.ids()).containsExactly(1, 6, 4);
    assertThat(kept.kept()).isEqualTo(3);
  }

  @Test
  void aLongTopKIsTheFirstKOfTheSortedOrderBothZerosAndTiesIncluded() {
    float[] logits = new float[1000];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = i % 3 == 0 ? -0f : i % 3 == 1 ? 0f : -1f;
    }
    Truncation.Kept kept = Truncation.keep(logits, 500, 1, 0);
    // +0 sorts before -0 (the full sort's order): the 333 +0s by id, then the -0s
    assertThat(kept.kept()).isEqualTo(500);
    assertThat(kept.ids()).containsExactly(Arrays.copyOf(FullSortSampler.sortedIds(logits), 500));
    assertThat(kept.ids()[0]).isEqualTo(1);
    assertThat(kept.ids()[333]).isEqualTo(0);
  }
}

package dev.shelf.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sampler chain on hand-made logits. */
class SamplerTest {
  static SamplingParams params(
      double temperature,
      int topK,
      double topP,
      double minP,
      double rep,
      int lastN,
      double freq,
      double pres,
      long seed) {
    return new SamplingParams(temperature, topK, topP, minP, rep, lastN, freq, pres, seed);
  }

  static SamplingParams temp(double t, long seed) {
    return params(t, 0, 1, 0, 1, 64, 0, 0, seed);
  }

  /** The tokens drawn 2000 times, each from a fresh sampler with seed i. */
  static Set<Integer> support(SamplingParams base, float[] logits) {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      SamplingParams p =
          params(
              base.temperature(),
              base.topK(),
              base.topP(),
              base.minP(),
              base.repetitionPenalty(),
              base.penaltyLastN(),
              base.frequencyPenalty(),
              base.presencePenalty(),
              i);
      seen.add(new Sampler(p, new int[0]).sample(logits));
    }
    return seen;
  }

  static final float[] LOGITS = {1f, 3f, 2f, 0f, 2.5f};

  @Test
  void greedyIsTheHighestLogitAndTheLowestIdOnATie() {
    assertThat(new Sampler(SamplingParams.GREEDY, new int[0]).sample(LOGITS)).isEqualTo(1);
    assertThat(new Sampler(SamplingParams.GREEDY, new int[0]).sample(new float[] {1, 5, 5, 2}))
        .isEqualTo(1);
    assertThat(new Sampler(params(1, 1, 1, 0, 1, 64, 0, 0, 3), new int[0]).sample(LOGITS))
        .isEqualTo(1);
  }

  @Test
  void theSameSeedDrawsTheSameTokensAndOthersDiffer() {
    float[] flat = new float[50];
    int[] a = new int[40];
    int[] b = new int[40];
    int[] c = new int[40];
    Sampler sa = new Sampler(temp(1, 42), new int[0]);
    Sampler sb = new Sampler(temp(1, 42), new int[0]);
    Sampler sc = new Sampler(temp(1, 43), new int[0]);
    for (int i = 0; i < 40; i++) {
      a[i] = sa.sample(flat);
      b[i] = sb.sample(flat);
      c[i] = sc.sample(flat);
    }
    assertThat(a).isEqualTo(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void topKKeepsTheKHighest() {
    assertThat(support(params(1, 2, 1, 0, 1, 64, 0, 0, 0), LOGITS)).containsExactlyInAnyOrder(1, 4);
    assertThat(support(temp(1, 0), LOGITS)).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
  }

  @Test
  void topPKeepsTheFewestReachingP() {
    // softmax by token 1, 4, 2, 0, 3: 0.463, 0.281, 0.170, 0.063, 0.023
    assertThat(support(params(1, 0, 0.6, 0, 1, 64, 0, 0, 0), LOGITS))
        .containsExactlyInAnyOrder(1, 4);
    assertThat(support(params(1, 0, 0.4, 0, 1, 64, 0, 0, 0), LOGITS)).containsExactly(1);
    assertThat(support(params(1, 0, 0.8, 0, 1, 64, 0, 0, 0), LOGITS))
        .containsExactlyInAnyOrder(1, 4, 2);
  }

  @Test
  void minPCutsTokensLessLikelyThanPTimesTheBest() {
    // p(2)/p(best) = e^-1 = 0.37, p(2.5)/p(best) = e^-0.5 = 0.61
    assertThat(support(params(1, 0, 1, 0.5, 1, 64, 0, 0, 0), LOGITS))
        .containsExactlyInAnyOrder(1, 4);
    assertThat(support(params(1, 0, 1, 0.3, 1, 64, 0, 0, 0), LOGITS))
        .containsExactlyInAnyOrder(1, 4, 2);
  }

  @Test
  void filtersSeeTheLogitsBeforeTemperature() {
    // at a high temperature top-p still cuts by the temperature-1 distribution
    assertThat(support(params(2, 0, 0.6, 0, 1, 64, 0, 0, 0), LOGITS))
        .containsExactlyInAnyOrder(1, 4);
  }

  @Test
  void aLowTemperatureSharpensTheDraw() {
    int best = 0;
    for (int i = 0; i < 500; i++) {
      if (new Sampler(temp(0.05, i), new int[0]).sample(LOGITS) == 1) {
        best++;
      }
    }
    assertThat(best).isGreaterThan(490);
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsInTheWindow() {
    float[] logits = {2f, -1f, 4f, 1f};
    // prompt tokens 0, 1, 1; window of the last 2: tokens 1 only
    Sampler s = new Sampler(params(0, 0, 1, 0, 2, 2, 0, 0, 0), new int[] {0, 1, 1});
    assertThat(s.penalize(logits)).containsExactly(2f, -2f, 4f, 1f);
    Sampler all = new Sampler(params(0, 0, 1, 0, 2, -1, 0, 0, 0), new int[] {0, 1, 1});
    assertThat(all.penalize(logits)).containsExactly(1f, -2f, 4f, 1f);
    Sampler off = new Sampler(params(0, 0, 1, 0, 2, 0, 0, 0, 0), new int[] {0, 1, 1});
    assertThat(off.penalize(logits)).containsExactly(2f, -1f, 4f, 1f);
    // greedy sees the penalised logits: token 2 (4 / 2.5 = 1.6) loses to token 0 (2)
    Sampler greedy = new Sampler(params(0, 0, 1, 0, 2.5, 64, 0, 0, 0), new int[] {2});
    assertThat(greedy.sample(logits)).isEqualTo(0);
  }

  @Test
  void frequencyAndPresencePenaltiesCountTheOutputOnly() {
    float[] logits = {5f, 4.5f, 0f};
    Sampler s = new Sampler(params(0, 0, 1, 0, 1, 64, 0.3, 0.1, 0), new int[] {1, 1, 1});
    assertThat(s.penalize(logits)).containsExactly(5f, 4.5f, 0f); // the prompt does not count
    assertThat(s.sample(logits)).isEqualTo(0);
    // token 0 sampled once: 5 - 0.3 - 0.1 = 4.6
    assertThat(s.penalize(logits)[0]).isCloseTo(4.6f, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(s.sample(logits)).isEqualTo(0);
    // twice: 5 - 0.6 - 0.1 = 4.3 < 4.5
    assertThat(s.sample(logits)).isEqualTo(1);
  }

  @Test
  void outOfRangeSettingsFailNamingTheSetting() {
    assertThatThrownBy(() -> params(-1, 0, 1, 0, 1, 64, 0, 0, 0))
        .hasMessage("temperature must be >= 0 but was -1.0");
    assertThatThrownBy(() -> params(1, -2, 1, 0, 1, 64, 0, 0, 0)).hasMessageContaining("top_k");
    assertThatThrownBy(() -> params(1, 0, 1.5, 0, 1, 64, 0, 0, 0)).hasMessageContaining("top_p");
    assertThatThrownBy(() -> params(1, 0, 1, 2, 1, 64, 0, 0, 0)).hasMessageContaining("min_p");
    assertThatThrownBy(() -> params(1, 0, 1, 0, 0, 64, 0, 0, 0))
        .hasMessageContaining("repetition_penalty");
  }

  @Test
  void logprobsAreTheLogSoftmaxAndTopIsSorted() {
    Logprobs lp = Logprobs.of(LOGITS);
    double sum = 0;
    for (int i = 0; i < LOGITS.length; i++) {
      sum += Math.exp(lp.of(i));
    }
    assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(lp.of(1) - lp.of(0)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(lp.top(3)).containsExactly(1, 4, 2);
    assertThat(lp.top(10)).containsExactly(1, 4, 2, 0, 3);
    assertThat(lp.top(0)).isEmpty();
    assertThat(Logprobs.of(new float[] {1, 5, 5, 2}).top(2)).containsExactly(1, 2);
    assertThat(lp.isGreedy(1)).isTrue();
    assertThat(lp.isGreedy(4)).isFalse();
  }

  @Test
  void sortedIdsOrderNegativeAndPositiveLogitsDescending() {
    assertThat(Sampler.sortedIds(new float[] {-3f, 2f, -0.5f, 0f, 7f, -3f}))
        .containsExactly(4, 1, 3, 2, 0, 5);
  }

  @Test
  void selectingTheTopKGivesTheFirstKOfTheSortedOrderTiesIncluded() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(11);
    for (int round = 0; round < 50; round++) {
      float[] logits = new float[1 + r.nextInt(300)];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = r.nextInt(20) - 10 + (r.nextBoolean() ? 0.5f : 0f); // many ties
      }
      int[] sorted = Sampler.sortedIds(logits);
      for (int k : new int[] {1, 2, 5, 40, 128, 400}) {
        assertThat(Sampler.topIds(logits, k))
            .containsExactly(java.util.Arrays.copyOf(sorted, Math.min(k, logits.length)));
      }
    }
  }

  @Test
  void signedZerosAndNaNSelectInTheSortedOrder() {
    float[] logits = {0f, -0f, Float.NaN, 1f, -0f, 0f, Float.NEGATIVE_INFINITY};
    int[] sorted = Sampler.sortedIds(logits);
    for (int k = 1; k <= logits.length; k++) {
      assertThat(Sampler.topIds(logits, k)).containsExactly(java.util.Arrays.copyOf(sorted, k));
    }
    // +0 before -0 whatever their ids
    assertThat(Sampler.topIds(new float[] {-0f, 0f}, 1)).containsExactly(1);
  }

  @Test
  void bothTopKPathsKeepOnlyTheKHighest() {
    float[] logits = new float[1000];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (i * 37 % 101) / 10f;
    }
    // 100 is selected in one pass, 200 (over SELECT_MAX) by sorting: both draw among the k best
    for (long seed = 0; seed < 50; seed++) {
      int a = new Sampler(params(1, 200, 1, 0, 1, 64, 0, 0, seed), new int[0]).sample(logits);
      int b = new Sampler(params(1, 100, 1, 0, 1, 64, 0, 0, seed), new int[0]).sample(logits);
      assertThat(java.util.Arrays.copyOf(Sampler.sortedIds(logits), 200)).contains(a);
      assertThat(java.util.Arrays.copyOf(Sampler.sortedIds(logits), 100)).contains(b);
    }
  }
}

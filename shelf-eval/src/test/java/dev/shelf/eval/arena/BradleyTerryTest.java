package dev.shelf.eval.arena;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.shelf.eval.arena.BradleyTerry.BothBad;
import dev.shelf.eval.arena.BradleyTerry.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BradleyTerryTest {
  private static final List<String> MODELS = List.of("m0", "m1", "m2", "m3");
  // True ratings with mean 1000, the anchor, so they are comparable with the fitted ones.
  private static final double[] TRUTH = {1150, 1050, 950, 850};

  /** Battles between uniformly drawn pairs; A wins with the Bradley-Terry probability. */
  private static List<Battle> battles(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Battle> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      int a = random.nextInt(TRUTH.length);
      int b = random.nextInt(TRUTH.length - 1);
      if (b >= a) {
        b++;
      }
      double pA = 1 / (1 + Math.pow(10, (TRUTH[b] - TRUTH[a]) / 400));
      out.add(new Battle(MODELS.get(a), MODELS.get(b), random.nextDouble() < pA ? Vote.A : Vote.B));
    }
    return out;
  }

  @Test
  void recoversTheOrderOfKnownStrengths() {
    var board =
        BradleyTerry.leaderboard(battles(4000, 7), Options.defaults().withBootstrap(200, 1));
    assertThat(board).extracting(Rating::model).containsExactly("m0", "m1", "m2", "m3");
    assertThat(board).extracting(Rating::rank).containsExactly(1, 2, 3, 4);
    double mean = board.stream().mapToDouble(Rating::rating).average().orElseThrow();
    assertThat(mean).isCloseTo(1000, within(1e-6));
    for (Rating r : board) {
      assertThat(r.low()).isLessThan(r.rating());
      assertThat(r.high()).isGreaterThan(r.rating());
      assertThat(r.rating()).isCloseTo(TRUTH[MODELS.indexOf(r.model())], within(40.0));
    }
  }

  @Test
  void intervalsCoverTheTruthAtAboutTheNominalRate() {
    int covered = 0;
    int total = 0;
    for (int rep = 0; rep < 40; rep++) {
      var board =
          BradleyTerry.leaderboard(
              battles(1200, 1000 + rep), Options.defaults().withBootstrap(200, rep));
      for (Rating r : board) {
        double truth = TRUTH[MODELS.indexOf(r.model())];
        covered += r.low() <= truth && truth <= r.high() ? 1 : 0;
        total++;
      }
    }
    double coverage = (double) covered / total;
    assertThat(coverage).isBetween(0.8, 1.0);
  }

  @Test
  void tiesAreHalfWinsAndBothBadIsATieOrIgnored() {
    // x beats y twice and ties once: MLE odds 2.5 : 0.5 = 5 with no pseudo-ties.
    List<Battle> battles =
        List.of(
            new Battle("x", "y", Vote.A),
            new Battle("y", "x", Vote.B),
            new Battle("x", "y", Vote.TIE),
            new Battle("x", "y", Vote.BOTH_BAD));
    Options exact = Options.defaults().withPseudoTies(0).withBothBad(BothBad.IGNORE);
    Map<String, Double> ignored = BradleyTerry.fit(battles, exact);
    assertThat(requireNonNull(ignored.get("x")) - requireNonNull(ignored.get("y")))
        .isCloseTo(400 * Math.log10(5), within(1e-6));
    assertThat((requireNonNull(ignored.get("x")) + requireNonNull(ignored.get("y"))) / 2)
        .isCloseTo(1000, within(1e-9));
    Map<String, Double> asTie = BradleyTerry.fit(battles, exact.withBothBad(BothBad.TIE));
    // 3 wins of 4 games: odds 3.
    assertThat(requireNonNull(asTie.get("x")) - requireNonNull(asTie.get("y")))
        .isCloseTo(400 * Math.log10(3), within(1e-6));
    Map<String, Double> allTies =
        BradleyTerry.fit(List.of(new Battle("x", "y", Vote.TIE)), Options.defaults());
    assertThat(allTies).containsEntry("x", 1000.0).containsEntry("y", 1000.0);
  }

  @Test
  void overlappingIntervalsShareARankAndSeedsReproduce() {
    // a and b are equal and far above c: a and b share rank 1, c is 3rd.
    List<Battle> battles = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(3);
    for (int k = 0; k < 600; k++) {
      battles.add(new Battle("a", "b", random.nextBoolean() ? Vote.A : Vote.B));
      battles.add(new Battle("a", "c", random.nextDouble() < 0.9 ? Vote.A : Vote.B));
      battles.add(new Battle("c", "b", random.nextDouble() < 0.1 ? Vote.A : Vote.B));
    }
    Options options = Options.defaults().withBootstrap(100, 5);
    var board = BradleyTerry.leaderboard(battles, options);
    assertThat(board.get(2).model()).isEqualTo("c");
    assertThat(board).extracting(Rating::rank).containsExactly(1, 1, 3);
    assertThat(board.get(0).battles()).isEqualTo(1200);
    assertThat(BradleyTerry.leaderboard(battles, options)).isEqualTo(board);
  }
}

package dev.shelf.eval.arena;

import dev.shelf.eval.metrics.Summary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Arena ratings by Bradley-Terry maximum likelihood, on the Elo-like scale the public arenas use.
 *
 * <h2>Model</h2>
 *
 * Each model {@code i} has a strength {@code p_i > 0} and {@code P(i beats j) = p_i / (p_i + p_j)}.
 * A rating is {@code anchor + scale · log_base(p_i)} with scale 400 and base 10 (so a 400-point gap
 * is 10:1 odds) and strengths normalized to geometric mean 1, which puts the <b>mean rating at the
 * anchor</b> (1000 by default).
 *
 * <h2>Votes</h2>
 *
 * A or B is a win for that side. A tie is half a win for each side (one game). Both-bad is, by
 * default, a tie as well (as the public arena counts "tie (bothbad)"); with {@link BothBad#IGNORE}
 * it is dropped. Position is not modelled: A and B are symmetric.
 *
 * <h2>Fitting</h2>
 *
 * Hunter's MM algorithm (2004), which increases the likelihood at every step: with {@code W_i} the
 * (half-)wins of {@code i} and {@code n_ij} the games between {@code i} and {@code j}, repeat
 * {@code p_i ← W_i / Σ_j n_ij / (p_i + p_j)} and renormalize, until no log-strength moves by more
 * than 1e-10. A model that never won (or never lost) has no finite maximum-likelihood rating, so
 * each pair that met gets {@code pseudoTies} virtual tied games (default 1: half a win each way), a
 * weak prior that keeps every rating finite and is negligible against hundreds of battles. Models
 * in parts of the battle graph that never meet each other are not comparable; the anchor then
 * applies to all models together.
 *
 * <h2>Intervals and ranks</h2>
 *
 * Percentile bootstrap: the battles are resampled with replacement {@code bootstrap} times with a
 * seeded {@link SplittableRandom}, refitted, and the 2.5th and 97.5th percentiles (type-7
 * quantiles, see {@link Summary}) of each model's rating form its interval. The same battles, seed
 * and options always give the same leaderboard. A model's rank is 1 + the number of models whose
 * lower bound is above its upper bound.
 */
public final class BradleyTerry {
  private static final double TOLERANCE = 1e-10;
  private static final int MAX_ITERATIONS = 100_000;

  private BradleyTerry() {}

  /** How a both-bad vote counts. */
  public enum BothBad {
    TIE,
    IGNORE
  }

  public record Options(
      double anchor,
      double scale,
      double base,
      BothBad bothBad,
      double pseudoTies,
      int bootstrap,
      long seed) {
    public Options {
      if (scale <= 0 || base <= 1) {
        throw new IllegalArgumentException(
            "need scale > 0 and base > 1 but had " + scale + " and " + base);
      }
      if (pseudoTies < 0) {
        throw new IllegalArgumentException("pseudoTies must be >= 0 but was " + pseudoTies);
      }
      if (bootstrap < 0) {
        throw new IllegalArgumentException("bootstrap must be >= 0 but was " + bootstrap);
      }
    }

    /** Mean 1000, 400 points per factor 10, both-bad as tie, one pseudo-tie, 1000 resamples. */
    public static Options defaults() {
      return new Options(1000, 400, 10, BothBad.TIE, 1, 1000, 42);
    }

    public Options withBootstrap(int rounds, long seed) {
      return new Options(anchor, scale, base, bothBad, pseudoTies, rounds, seed);
    }

    public Options withBothBad(BothBad policy) {
      return new Options(anchor, scale, base, policy, pseudoTies, bootstrap, seed);
    }

    public Options withPseudoTies(double ties) {
      return new Options(anchor, scale, base, bothBad, ties, bootstrap, seed);
    }
  }

  /**
   * Maximum-likelihood ratings, by model name (models in name order); NaN for a model whose only
   * battles were ignored.
   */
  public static Map<String, Double> fit(List<Battle> battles, Options options) {
    Indexed data = Indexed.of(battles, options.bothBad);
    double[] ratings = data.fit(identity(data.a.length), options);
    Map<String, Double> out = new LinkedHashMap<>();
    for (int i = 0; i < data.models.size(); i++) {
      out.put(data.models.get(i), ratings[i]);
    }
    return out;
  }

  /** The leaderboard: ratings, bootstrap intervals and ranks, best first. */
  public static List<Rating> leaderboard(List<Battle> battles, Options options) {
    Indexed data = Indexed.of(battles, options.bothBad);
    int m = data.models.size();
    int n = data.a.length;
    double[] point = data.fit(identity(n), options);
    double[][] samples = new double[m][options.bootstrap];
    int[] counts = new int[m];
    SplittableRandom random = new SplittableRandom(options.seed);
    int[] draw = new int[n];
    for (int b = 0; b < options.bootstrap; b++) {
      for (int k = 0; k < n; k++) {
        draw[k] = random.nextInt(n);
      }
      double[] r = data.fit(draw, options);
      for (int i = 0; i < m; i++) {
        if (!Double.isNaN(r[i])) {
          samples[i][counts[i]++] = r[i];
        }
      }
    }
    double[] low = new double[m];
    double[] high = new double[m];
    for (int i = 0; i < m; i++) {
      if (counts[i] == 0) {
        low[i] = point[i];
        high[i] = point[i];
      } else {
        double[] s = Arrays.copyOf(samples[i], counts[i]);
        Arrays.sort(s);
        low[i] = Summary.quantile(s, 0.025);
        high[i] = Summary.quantile(s, 0.975);
      }
    }
    List<Rating> out = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      int rank = 1;
      for (int j = 0; j < m; j++) {
        if (low[j] > high[i]) {
          rank++;
        }
      }
      out.add(new Rating(data.models.get(i), point[i], low[i], high[i], rank, data.games[i]));
    }
    out.sort(Comparator.comparingDouble(Rating::rating).reversed().thenComparing(Rating::model));
    return out;
  }

  private static int[] identity(int n) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    return all;
  }

  /** Battles as model indexes and A's score (1, 0.5 or 0), both-bad already applied. */
  private record Indexed(List<String> models, int[] a, int[] b, double[] scoreA, long[] games) {
    static Indexed of(List<Battle> battles, BothBad bothBad) {
      TreeSet<String> names = new TreeSet<>();
      List<Battle> counted = new ArrayList<>();
      for (Battle battle : battles) {
        names.add(battle.modelA());
        names.add(battle.modelB());
        if (battle.vote() != Vote.BOTH_BAD || bothBad == BothBad.TIE) {
          counted.add(battle);
        }
      }
      List<String> models = List.copyOf(names);
      Map<String, Integer> index = new LinkedHashMap<>();
      for (int i = 0; i < models.size(); i++) {
        index.put(models.get(i), i);
      }
      int n = counted.size();
      int[] a = new int[n];
      int[] b = new int[n];
      double[] s = new double[n];
      long[] games = new long[models.size()];
      for (int k = 0; k < n; k++) {
        Battle battle = counted.get(k);
        a[k] = index.getOrDefault(battle.modelA(), 0);
        b[k] = index.getOrDefault(battle.modelB(), 0);
        s[k] =
            switch (battle.vote()) {
              case A -> 1;
              case B -> 0;
              case TIE, BOTH_BAD -> 0.5;
            };
        games[a[k]]++;
        games[b[k]]++;
      }
      return new Indexed(models, a, b, s, games);
    }

    /** Ratings from the battles at {@code draw} (with repeats); NaN for a model without games. */
    double[] fit(int[] draw, Options options) {
      int m = models.size();
      double[] wins = new double[m];
      double[][] games = new double[m][m];
      for (int k : draw) {
        wins[a[k]] += scoreA[k];
        wins[b[k]] += 1 - scoreA[k];
        games[a[k]][b[k]]++;
        games[b[k]][a[k]]++;
      }
      boolean[] active = new boolean[m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          if (games[i][j] > 0) {
            active[i] = true;
            if (j > i) {
              games[i][j] += options.pseudoTies;
              games[j][i] += options.pseudoTies;
              wins[i] += options.pseudoTies / 2;
              wins[j] += options.pseudoTies / 2;
            }
          }
        }
      }
      double[] p = new double[m];
      Arrays.fill(p, 1);
      double[] next = new double[m];
      for (int iter = 0; iter < MAX_ITERATIONS; iter++) {
        double moved = 0;
        for (int i = 0; i < m; i++) {
          if (!active[i]) {
            next[i] = 1;
            continue;
          }
          double denom = 0;
          for (int j = 0; j < m; j++) {
            if (j != i && games[i][j] > 0) {
              denom += games[i][j] / (p[i] + p[j]);
            }
          }
          // A model that won nothing (pseudoTies 0) heads to strength 0; keep it tiny, not zero.
          next[i] = Math.max(wins[i] / denom, 1e-300);
        }
        normalize(next, active);
        for (int i = 0; i < m; i++) {
          moved = Math.max(moved, Math.abs(Math.log(next[i]) - Math.log(p[i])));
          p[i] = next[i];
        }
        if (moved < TOLERANCE) {
          break;
        }
      }
      double[] ratings = new double[m];
      double perLog = options.scale / Math.log(options.base);
      for (int i = 0; i < m; i++) {
        ratings[i] = active[i] ? options.anchor + perLog * Math.log(p[i]) : Double.NaN;
      }
      return ratings;
    }

    private static void normalize(double[] p, boolean[] active) {
      double sum = 0;
      int count = 0;
      for (int i = 0; i < p.length; i++) {
        if (active[i]) {
          sum += Math.log(p[i]);
          count++;
        }
      }
      double shift = count == 0 ? 0 : Math.exp(-sum / count);
      for (int i = 0; i < p.length; i++) {
        if (active[i]) {
          p[i] *= shift;
        }
      }
    }
  }
}

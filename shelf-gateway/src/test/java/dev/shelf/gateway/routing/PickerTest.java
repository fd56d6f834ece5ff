package dev.shelf.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.catalog.ModelSpec;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.config.ShelfConfig.Strategy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PickerTest {
  private static final long NOW = 1_000_000_000_000L;
  private static final long OPEN = 10_000_000_000L;

  private static Deployment deployment(
      String name, int priority, int weight, @Nullable Price price) {
    var spec =
        new ModelSpec(
            "m",
            name,
            "up-" + name,
            null,
            null,
            List.of("text"),
            List.of("text"),
            Set.of(),
            price,
            weight,
            priority,
            null);
    return new Deployment(spec, new FakeProvider(name), new DeploymentHealth(spec.deploymentId()));
  }

  private static Deployment plain(String name) {
    return deployment(name, 0, 1, null);
  }

  private static List<String> order(Strategy s, Deployment... ds) {
    return Picker.order(new Route("r", s, List.of(ds), List.of()), NOW).stream()
        .map(d -> d.spec().provider())
        .toList();
  }

  private static void busy(Deployment d, int n) {
    for (int i = 0; i < n; i++) {
      assertThat(d.health().acquire(NOW)).isTrue();
    }
  }

  private static void measured(Deployment d, long ttftMillis) {
    assertThat(d.health().acquire(NOW)).isTrue();
    d.health().success(ttftMillis * 1_000_000);
  }

  @Test
  void priorityOrderLowestFirstStableOnTies() {
    assertThat(
            order(
                Strategy.PRIORITY,
                deployment("a", 2, 1, null),
                deployment("b", 0, 1, null),
                deployment("c", 1, 1, null),
                deployment("d", 0, 1, null),
                deployment("e", -3, 1, null)))
        .containsExactly("e", "b", "d", "c", "a");
  }

  @Test
  void leastBusyFirst() {
    Deployment a = plain("a");
    Deployment b = plain("b");
    Deployment c = plain("c");
    busy(a, 3);
    busy(c, 1);
    for (int i = 0; i < 20; i++) {
      assertThat(order(Strategy.LEAST_BUSY, a, b, c)).containsExactly("b", "c", "a");
    }
  }

  @Test
  void leastBusyTiesAreShuffled() {
    Deployment a = plain("a");
    Deployment b = plain("b");
    var firsts = new HashMap<String, Integer>();
    for (int i = 0; i < 200; i++) {
      firsts.merge(order(Strategy.LEAST_BUSY, a, b).get(0), 1, Integer::sum);
    }
    assertThat(firsts).containsOnlyKeys("a", "b");
  }

  @Test
  void lowestPriceByBlendedPriceUnpricedLast() {
    assertThat(
            order(
                Strategy.LOWEST_PRICE,
                deployment("a", 0, 1, new Price(3, 10, null, "USD")), // blended 4.75
                deployment("unpriced", 0, 1, null),
                deployment("b", 0, 1, new Price(1, 1, null, "USD")), // 1.0
                deployment("d", 0, 1, new Price(0.5, 20, 0.1, "USD")))) // 5.375
        .containsExactly("b", "a", "d", "unpriced");
  }

  @Test
  void lowestLatencyUnmeasuredFirstThenFastest() {
    Deployment slow = plain("slow");
    Deployment fresh1 = plain("fresh1");
    Deployment fast = plain("fast");
    Deployment fresh2 = plain("fresh2");
    measured(slow, 300);
    measured(fast, 100);
    var firsts = new HashMap<String, Integer>();
    for (int i = 0; i < 200; i++) {
      List<String> o = order(Strategy.LOWEST_LATENCY, slow, fresh1, fast, fresh2);
      assertThat(o.subList(0, 2)).containsExactlyInAnyOrder("fresh1", "fresh2");
      assertThat(o.subList(2, 4)).containsExactly("fast", "slow");
      firsts.merge(o.get(0), 1, Integer::sum);
    }
    assertThat(firsts).as("unmeasured ones take turns").containsOnlyKeys("fresh1", "fresh2");
  }

  @Test
  void weightedFrequenciesFollowTheWeights() {
    Deployment a = deployment("a", 0, 1, null);
    Deployment b = deployment("b", 0, 2, null);
    Deployment c = deployment("c", 0, 7, null);
    Deployment off = deployment("off", 0, 0, null);
    int draws = 20_000;
    Map<String, Integer> firsts = new HashMap<>();
    for (int i = 0; i < draws; i++) {
      List<String> o = order(Strategy.WEIGHTED, a, off, b, c);
      assertThat(o).hasSize(4);
      assertThat(o.get(3)).as("weight 0 always last").isEqualTo("off");
      firsts.merge(o.get(0), 1, Integer::sum);
    }
    // Standard deviation of each share is below 0.0035; 0.02 is over five of them.
    assertThat(firsts.getOrDefault("a", 0) / (double) draws).isCloseTo(0.1, within(0.02));
    assertThat(firsts.getOrDefault("b", 0) / (double) draws).isCloseTo(0.2, within(0.02));
    assertThat(firsts.getOrDefault("c", 0) / (double) draws).isCloseTo(0.7, within(0.02));
    assertThat(firsts).doesNotContainKey("off");
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }

  enum Resting {
    BREAKER_OPEN,
    COOLING_DOWN
  }

  /**
   * One deployment is the best by every strategy's measure; once it is resting it comes last,
   * whatever the strategy, and the others keep their order. The same body runs for every strategy
   * and both ways of resting.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Strategy.class)
  void unavailableDeploymentsGoLast(Strategy strategy) {
    for (Resting how : Resting.values()) {
      Deployment best = deployment("best", -10, 1_000_000, new Price(0.01, 0.01, null, "USD"));
      Deployment second = deployment("second", 0, 1, new Price(1, 1, null, "USD"));
      Deployment third = deployment("third", 1, 1, new Price(2, 2, null, "USD"));
      measured(best, 10);
      measured(second, 100);
      measured(third, 200);
      busy(second, 1);
      busy(third, 2);
      if (strategy != Strategy.WEIGHTED) {
        assertThat(order(strategy, third, second, best)).containsExactly("best", "second", "third");
      }
      switch (how) {
        case BREAKER_OPEN -> {
          assertThat(best.health().acquire(NOW)).isTrue();
          best.health().failure(NOW, 1, OPEN);
        }
        case COOLING_DOWN -> {
          assertThat(best.health().acquire(NOW)).isTrue();
          best.health().coolDown(NOW + OPEN);
        }
      }
      assertThat(best.health().available(NOW)).isFalse();
      for (int i = 0; i < 50; i++) {
        List<String> o = order(strategy, third, best, second);
        assertThat(o).as("%s %s", strategy, how).hasSize(3).endsWith("best");
        if (strategy != Strategy.WEIGHTED) {
          assertThat(o).containsExactly("second", "third", "best");
        }
      }
    }
  }

  @Test
  void restingDeploymentsKeepTheStrategyOrderAmongThemselves() {
    Deployment a = deployment("a", 0, 1, null);
    Deployment b = deployment("b", 1, 1, null);
    Deployment c = deployment("c", 2, 1, null);
    Deployment d = deployment("d", 3, 1, null);
    for (Deployment x : List.of(d, a)) {
      assertThat(x.health().acquire(NOW)).isTrue();
      x.health().coolDown(NOW + OPEN);
    }
    assertThat(order(Strategy.PRIORITY, d, c, b, a)).containsExactly("b", "c", "a", "d");
    // Once the rest is over they are back in front.
    assertThat(
            Picker.order(
                    new Route("r", Strategy.PRIORITY, List.of(d, c, b, a), List.of()), NOW + OPEN)
                .stream()
                .map(x -> x.spec().provider())
                .toList())
        .containsExactly("a", "b", "c", "d");
  }
}

package dev.shelf.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void wilsonIntervals() {
    // Reference values computed independently from the Wilson formula (Python, double precision).
    var half = Proportion.of(5, 10);
    assertThat(half.value()).isEqualTo(0.5);
    assertThat(half.low()).isCloseTo(0.236593, within(1e-6));
    assertThat(half.high()).isCloseTo(0.763407, within(1e-6));
    var none = Proportion.of(0, 10);
    assertThat(none.low()).isCloseTo(0, within(1e-12));
    assertThat(none.high()).isCloseTo(0.277533, within(1e-6));
    var all = Proportion.of(20, 20);
    assertThat(all.low()).isCloseTo(0.838875, within(1e-6));
    assertThat(all.high()).isCloseTo(1, within(1e-12));
    assertThat(Proportion.of(0, 0).value()).isNaN();
  }

  @Test
  void quantilesInterpolateLinearly() {
    var s = Summary.of(List.of(4.0, 1.0, 3.0, 2.0, 10.0));
    assertThat(s.count()).isEqualTo(5);
    assertThat(s.median()).isEqualTo(3.0);
    assertThat(s.p90()).isCloseTo(7.6, within(1e-12)); // h = 3.6: 4 + 0.6 * (10 - 4)
    assertThat(s.mean()).isEqualTo(4.0);
    assertThat(Summary.of(List.of(1.0, 2.0)).median()).isEqualTo(1.5);
    assertThat(Summary.of(List.of()).median()).isNaN();
  }
}

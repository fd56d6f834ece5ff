package dev.shelf.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.gateway.routing.DeploymentHealth.BreakerState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The breaker and cooldown, run at several clock origins (System.nanoTime() has an arbitrary
 * origin). Negative clock values are left out on purpose: a fresh DeploymentHealth treats its
 * initial cooldownUntilNanos of 0 as a real instant, so at a negative now it reads as cooling down.
 */
class DeploymentHealthTest {
  private static final int THRESHOLD = 3;
  private static final long OPEN = 10_000_000_000L; // 10 s

  /** The breaker adds up to a tenth of the period as jitter. */
  private static final long OPEN_MAX = OPEN + OPEN / 10 + 1;

  private static void fail(DeploymentHealth h, long now) {
    assertThat(h.acquire(now)).as("permit before failing").isTrue();
    h.failure(now, THRESHOLD, OPEN);
  }

  private static DeploymentHealth opened(long t) {
    var h = new DeploymentHealth("p/m");
    for (int i = 0; i < THRESHOLD; i++) {
      fail(h, t);
    }
    assertThat(h.breaker(t)).isEqualTo(BreakerState.OPEN);
    return h;
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void opensAfterThresholdConsecutiveFailures(long t) {
    var h = new DeploymentHealth("p/m");
    assertThat(h.id()).isEqualTo("p/m");
    assertThat(h.breaker(t)).isEqualTo(BreakerState.CLOSED);
    for (int i = 1; i < THRESHOLD; i++) {
      fail(h, t);
      assertThat(h.breaker(t)).as("after %d failures", i).isEqualTo(BreakerState.CLOSED);
      assertThat(h.available(t)).isTrue();
    }
    fail(h, t);
    assertThat(h.breaker(t)).isEqualTo(BreakerState.OPEN);
    assertThat(h.available(t)).isFalse();
    assertThat(h.acquire(t)).isFalse();
    assertThat(h.inFlight()).isZero();
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void aSuccessResetsTheCount(long t) {
    var h = new DeploymentHealth("p/m");
    for (int round = 0; round < 3; round++) {
      for (int i = 1; i < THRESHOLD; i++) {
        fail(h, t);
      }
      assertThat(h.acquire(t)).isTrue();
      h.success(1_000_000);
    }
    assertThat(h.breaker(t)).isEqualTo(BreakerState.CLOSED);
    fail(h, t);
    fail(h, t);
    fail(h, t);
    assertThat(h.breaker(t)).isEqualTo(BreakerState.OPEN);
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void staysOpenForThePeriod(long t) {
    DeploymentHealth h = opened(t);
    assertThat(h.waitNanos(t)).isBetween(OPEN, OPEN_MAX);
    for (long dt : new long[] {1, OPEN / 2, OPEN - 1}) {
      assertThat(h.breaker(t + dt)).as("at +%d ns", dt).isEqualTo(BreakerState.OPEN);
      assertThat(h.available(t + dt)).isFalse();
    }
    assertThat(h.breaker(t + OPEN_MAX)).isEqualTo(BreakerState.HALF_OPEN);
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void halfOpenAdmitsExactlyOneProbeAndSuccessCloses(long t) {
    DeploymentHealth h = opened(t);
    long later = t + OPEN_MAX;
    assertThat(h.available(later)).isTrue();
    assertThat(h.acquire(later)).as("the probe").isTrue();
    for (int i = 0; i < 5; i++) {
      assertThat(h.acquire(later + i)).as("a second request while probing").isFalse();
    }
    assertThat(h.available(later)).isFalse();
    assertThat(h.breaker(later)).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(h.inFlight()).isEqualTo(1);

    h.success(2_000_000);
    assertThat(h.breaker(later)).isEqualTo(BreakerState.CLOSED);
    for (int i = 0; i < 5; i++) {
      assertThat(h.acquire(later)).isTrue();
    }
    assertThat(h.inFlight()).isEqualTo(5);
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void aFailedProbeReopensForAnotherPeriod(long t) {
    DeploymentHealth h = opened(t);
    long probeAt = t + OPEN_MAX;
    assertThat(h.acquire(probeAt)).isTrue();
    h.failure(probeAt, THRESHOLD, OPEN);
    assertThat(h.breaker(probeAt)).isEqualTo(BreakerState.OPEN);
    assertThat(h.available(probeAt + OPEN - 1)).isFalse();
    assertThat(h.breaker(probeAt + OPEN_MAX)).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(h.acquire(probeAt + OPEN_MAX)).as("the next probe").isTrue();
    assertThat(h.acquire(probeAt + OPEN_MAX)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void aNeutralProbeLetsTheNextProbeIn(long t) {
    DeploymentHealth h = opened(t);
    long later = t + OPEN_MAX;
    assertThat(h.acquire(later)).isTrue();
    h.neutral();
    assertThat(h.breaker(later)).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(h.acquire(later)).isTrue();
    assertThat(h.acquire(later)).isFalse();
    assertThat(h.inFlight()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L, Long.MAX_VALUE / 2})
  void coolDownRestsUntilTheGivenTime(long t) {
    var h = new DeploymentHealth("p/m");
    long fiveSeconds = 5_000_000_000L;
    assertThat(h.acquire(t)).isTrue();
    assertThat(h.acquire(t)).isTrue();
    h.coolDown(t + fiveSeconds);
    h.coolDown(t + 1_000_000_000L); // a shorter rest never shortens a longer one
    assertThat(h.inFlight()).isZero();
    assertThat(h.available(t)).isFalse();
    assertThat(h.acquire(t + fiveSeconds - 1)).isFalse();
    assertThat(h.waitNanos(t)).isEqualTo(fiveSeconds);
    assertThat(h.breaker(t))
        .as("a cooldown is not a breaker failure")
        .isEqualTo(BreakerState.CLOSED);
    assertThat(h.available(t + fiveSeconds)).isTrue();
    assertThat(h.waitNanos(t + fiveSeconds)).isZero();
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1_000_000_000L})
  void timeToFirstTokenIsAMovingAverage(long t) {
    var h = new DeploymentHealth("p/m");
    assertThat(h.ttftMillis()).isNaN();
    assertThat(h.acquire(t)).isTrue();
    h.success(100_000_000L);
    assertThat(h.ttftMillis()).isEqualTo(100.0);
    assertThat(h.acquire(t)).isTrue();
    h.success(200_000_000L);
    assertThat(h.ttftMillis()).isCloseTo(120.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(h.inFlight()).isZero();
  }
}

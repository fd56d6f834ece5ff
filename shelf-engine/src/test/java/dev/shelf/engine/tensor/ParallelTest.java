package dev.shelf.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParallelTest {

  @ParameterizedTest(name = "{0} threads over {1} rows")
  @CsvSource({"1,10", "3,37", "4,37", "5,3", "8,0", "2,1", "7,1000"})
  void everyRowRunsExactlyOnceInBalancedContiguousParts(int threads, int rows) {
    try (Parallel parallel = new Parallel(threads)) {
      AtomicIntegerArray seen = new AtomicIntegerArray(rows + 4);
      List<int[]> parts = Collections.synchronizedList(new ArrayList<>());
      parallel.forRange(
          2,
          2 + rows,
          (start, end) -> {
            parts.add(new int[] {start, end});
            for (int r = start; r < end; r++) {
              seen.incrementAndGet(r);
            }
          });
      for (int r = 0; r < rows + 4; r++) {
        assertThat(seen.get(r)).as("row " + r).isEqualTo(r >= 2 && r < 2 + rows ? 1 : 0);
      }
      assertThat(parts).hasSize(Math.min(threads, rows));
      int min = parts.stream().mapToInt(p -> p[1] - p[0]).min().orElse(0);
      int max = parts.stream().mapToInt(p -> p[1] - p[0]).max().orElse(0);
      assertThat(max - min).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void partsRunOnSeveralThreads() {
    try (Parallel parallel = new Parallel(4)) {
      ConcurrentHashMap<String, Boolean> names = new ConcurrentHashMap<>();
      for (int i = 0; i < 50 && names.size() < 2; i++) {
        parallel.forRange(
            0,
            4,
            (start, end) -> {
              names.put(Thread.currentThread().getName(), true);
              try {
                Thread.sleep(5);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
      assertThat(names.size()).isGreaterThan(1);
    }
  }

  @Test
  void aPartsExceptionReachesTheCaller() {
    try (Parallel parallel = new Parallel(3)) {
      assertThatThrownBy(
              () ->
                  parallel.forRange(
                      0,
                      9,
                      (start, end) -> {
                        if (start == 3) {
                          throw new IllegalStateException("part " + start + " failed");
                        }
                      }))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("part 3 failed");
    }
  }

  @Test
  void nestedRangesDoNotDeadlock() {
    try (Parallel parallel = new Parallel(2)) {
      AtomicIntegerArray seen = new AtomicIntegerArray(16);
      parallel.forRange(
          0,
          4,
          (start, end) -> {
            for (int r = start; r < end; r++) {
              int base = 4 * r;
              parallel.forRange(
                  base,
                  base + 4,
                  (a, b) -> {
                    for (int i = a; i < b; i++) {
                      seen.incrementAndGet(i);
                    }
                  });
            }
          });
      for (int i = 0; i < 16; i++) {
        assertThat(seen.get(i)).isEqualTo(1);
      }
    }
  }

  @Test
  void callersOnSeveralThreadsTakeTurnsAndEachGetsItsWholeRange() throws Exception {
    try (Parallel parallel = new Parallel(3)) {
      int callers = 4;
      int rounds = 200;
      AtomicIntegerArray[] seen = new AtomicIntegerArray[callers];
      Thread[] threads = new Thread[callers];
      for (int c = 0; c < callers; c++) {
        AtomicIntegerArray mine = seen[c] = new AtomicIntegerArray(50);
        threads[c] =
            new Thread(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    parallel.forRange(
                        0,
                        50,
                        (a, b) -> {
                          for (int r = a; r < b; r++) {
                            mine.incrementAndGet(r);
                          }
                        });
                  }
                });
        threads[c].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      for (AtomicIntegerArray mine : seen) {
        for (int r = 0; r < 50; r++) {
          assertThat(mine.get(r)).as("row " + r).isEqualTo(rounds);
        }
      }
    }
  }

  @Test
  void aWorkersResultsAreVisibleToTheCallerAfterEveryCall() {
    try (Parallel parallel = new Parallel(2)) {
      int[] rows = new int[2];
      for (int i = 1; i <= 20_000; i++) {
        int value = i;
        parallel.forRange(0, 2, (a, b) -> rows[a] = value);
        assertThat(rows).containsExactly(i, i);
      }
    }
  }

  @Test
  void aClosedInstanceRefusesWork() {
    Parallel parallel = new Parallel(2);
    parallel.close();
    assertThatThrownBy(() -> parallel.forRange(0, 4, (a, b) -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void badArgumentsNameTheValue() {
    assertThatThrownBy(() -> new Parallel(0))
        .hasMessageContaining("threads must be >= 1 but was 0");
    try (Parallel parallel = new Parallel(2)) {
      assertThatThrownBy(() -> parallel.forRange(5, 4, (a, b) -> {}))
          .hasMessageContaining("[5, 4)");
      assertThatThrownBy(() -> parallel.forRange(0, 4, 0, (a, b) -> {}))
          .hasMessageContaining("grain must be >= 1 but was 0");
    }
  }

  @ParameterizedTest(name = "{0} threads over {1} rows in pieces of {2}")
  @CsvSource({"2,100,7", "3,37,1", "4,1000,64", "2,5,100", "8,9,2", "2,1,1"})
  void everyRowRunsExactlyOnceInPiecesOfAtMostTheGrain(int threads, int rows, int grain) {
    try (Parallel parallel = new Parallel(threads)) {
      for (int round = 0; round < 50; round++) {
        AtomicIntegerArray seen = new AtomicIntegerArray(rows + 4);
        List<int[]> pieces = Collections.synchronizedList(new ArrayList<>());
        parallel.forRange(
            2,
            2 + rows,
            grain,
            (start, end) -> {
              pieces.add(new int[] {start, end});
              for (int r = start; r < end; r++) {
                seen.incrementAndGet(r);
              }
            });
        for (int r = 0; r < rows + 4; r++) {
          assertThat(seen.get(r)).as("row " + r).isEqualTo(r >= 2 && r < 2 + rows ? 1 : 0);
        }
        for (int[] piece : pieces) {
          assertThat(piece[1] - piece[0]).isBetween(1, grain);
        }
      }
    }
  }

  @Test
  void oneThreadRunsTheRangeWholeWhateverTheGrain() {
    try (Parallel parallel = new Parallel(1)) {
      List<int[]> pieces = new ArrayList<>();
      parallel.forRange(0, 100, 3, (start, end) -> pieces.add(new int[] {start, end}));
      assertThat(pieces).containsExactly(new int[] {0, 100});
    }
  }

  @Test
  void aStalledThreadsPiecesAreRunByTheOthers() {
    try (Parallel parallel = new Parallel(2)) {
      Thread caller = Thread.currentThread();
      AtomicIntegerArray seen = new AtomicIntegerArray(100);
      int[] byCaller = new int[1];
      parallel.forRange(
          0,
          100,
          1,
          (start, end) -> {
            if (Thread.currentThread() == caller) {
              byCaller[0] += end - start;
            } else {
              // The worker stalls on its first piece, as a descheduled thread would.
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            for (int r = start; r < end; r++) {
              seen.incrementAndGet(r);
            }
          });
      for (int r = 0; r < 100; r++) {
        assertThat(seen.get(r)).as("row " + r).isEqualTo(1);
      }
      // All but the stalled piece (or all, if the worker came too late to take one).
      assertThat(byCaller[0]).isGreaterThanOrEqualTo(99);
    }
  }

  @Test
  void aPiecesExceptionReachesTheCallerAfterEveryOtherPieceRan() {
    try (Parallel parallel = new Parallel(2)) {
      AtomicIntegerArray seen = new AtomicIntegerArray(40);
      assertThatThrownBy(
              () ->
                  parallel.forRange(
                      0,
                      40,
                      4,
                      (start, end) -> {
                        for (int r = start; r < end; r++) {
                          seen.incrementAndGet(r);
                        }
                        if (start == 8) {
                          throw new IllegalStateException("piece " + start + " failed");
                        }
                      }))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("piece 8 failed");
      for (int r = 0; r < 40; r++) {
        assertThat(seen.get(r)).as("row " + r).isEqualTo(1);
      }
    }
  }

  @Test
  void sharedHasAtLeastOneThread() {
    assertThat(Parallel.shared().threads()).isGreaterThanOrEqualTo(1);
  }
}

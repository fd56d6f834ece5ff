package dev.shelf.providers.local;

import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Runs a request's {@code n} choices ({@code n > 1}) at once: each has its own sequence and sampler
 * (choice 0 the request's seed, choice {@code i} one derived from it and {@code i}, so a seeded
 * request repeats all its choices), the first prompt is prefilled once and its KV cache copied into
 * the others, and they decode on threads of their own, so the file's {@code DecodeBatcher} runs
 * their steps together: {@code n} answers cost about one pass over the weights a token, not {@code
 * n}.
 *
 * <p>The calling thread waits. An abort (the call's thread interrupted) interrupts every choice,
 * waits for them to stop and throws the abort; a choice that fails interrupts the others and its
 * failure is thrown. Each choice's KV cache is reserved before any runs (a request that does not
 * fit waits or fails as one, never holding some while it waits for the rest); only the first
 * choice's sequence is kept for prefix reuse.
 */
final class Choices {
  /** The most choices a request may ask for (the decode batch's size). */
  static final int MAX = 16;

  private Choices() {}

  /** One choice's work, on its own generation. */
  @FunctionalInterface
  interface Body {
    void run(int index, Generation generation);
  }

  /** Refuses {@code n} outside 1 to {@link #MAX} with a 400 naming {@code n}. */
  static void check(int n) {
    if (n < 1 || n > MAX) {
      throw LocalParams.bad(
          "n",
          "Invalid 'n': the local provider generates 1 to " + MAX + " choices, not " + n + ".");
    }
  }

  /**
   * Runs {@code body} for choices {@code 0..n-1}; with one choice on the calling thread.
   *
   * @param shared the prompt every choice begins with, prefilled once
   */
  static void run(
      LocalProvider.Loaded m,
      Memory memory,
      LocalParams params,
      Call call,
      int n,
      int longestPrompt,
      String promptParam,
      int[] shared,
      Body body) {
    if (n == 1) {
      try (var g = new Generation(m, memory, params, call, longestPrompt, promptParam)) {
        body.run(0, g);
      }
      return;
    }
    List<Generation> gens = new ArrayList<>(n);
    int positions = Generation.positions(m, params, longestPrompt);
    KvBudget.Reservation all = memory.reserve(m, positions, n);
    long each = all.bytes() / n;
    try {
      for (int i = 0; i < n; i++) {
        KvBudget.Reservation part = i == n - 1 ? all : all.split(each);
        try {
          gens.add(
              new Generation(
                  m, memory, params.forChoice(i), call, longestPrompt, promptParam, part));
        } catch (RuntimeException | Error e) {
          part.close();
          throw e;
        }
      }
      gens.getFirst().warm(shared);
      for (int i = 1; i < n; i++) {
        gens.get(i).adopt(gens.getFirst(), shared);
      }
      runAll(call, gens, body);
    } finally {
      all.close(); // what no generation took (after a failure); a no-op once the last took it
      for (int i = 0; i < gens.size(); i++) {
        if (i == 0) {
          gens.get(i).close();
        } else {
          gens.get(i).release();
        }
      }
    }
  }

  private static void runAll(Call call, List<Generation> gens, Body body) {
    int n = gens.size();
    Thread[] threads = new Thread[n];
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      threads[i] =
          Thread.ofPlatform()
              .daemon()
              .name("shelf-local-choice-" + i)
              .unstarted(
                  () -> {
                    try {
                      body.run(index, gens.get(index));
                    } catch (Throwable t) {
                      if (failure.compareAndSet(null, t)) {
                        for (Thread other : threads) {
                          other.interrupt();
                        }
                      }
                    }
                  });
    }
    for (Thread t : threads) {
      t.start();
    }
    try {
      for (Thread t : threads) {
        t.join();
      }
    } catch (InterruptedException e) {
      for (Thread t : threads) {
        t.interrupt();
      }
      joinQuietly(threads);
      Thread.currentThread().interrupt();
      throw call.aborted(e, "local generation");
    }
    Throwable t = failure.get();
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new ProviderException(Kind.UNAVAILABLE, "a local choice failed: " + t, t);
    }
  }

  private static void joinQuietly(Thread[] threads) {
    boolean interrupted = false;
    for (Thread t : threads) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}

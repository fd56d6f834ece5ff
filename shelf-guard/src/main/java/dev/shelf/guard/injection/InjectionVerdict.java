package dev.shelf.guard.injection;

import java.util.List;

/**
 * What the scorer concluded about one input.
 *
 * @param score in [0, 1]: {@code 1 - Π(1 - weight)} over the signals that fired
 * @param threshold the score at which input counts as an attack
 * @param hits the signals that fired, strongest first
 */
public record InjectionVerdict(double score, double threshold, List<Hit> hits) {
  public InjectionVerdict {
    hits = List.copyOf(hits);
  }

  /**
   * A signal that fired.
   *
   * @param signal the signal's id
   * @param weight its weight
   * @param excerpt the folded text it matched (at most 80 characters)
   */
  public record Hit(String signal, double weight, String excerpt) {}

  /** Whether the score reaches the threshold. */
  public boolean flagged() {
    return score >= threshold;
  }

  /** The ids of the signals that fired. */
  public List<String> signals() {
    return hits.stream().map(Hit::signal).toList();
  }
}

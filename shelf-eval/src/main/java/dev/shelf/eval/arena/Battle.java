package dev.shelf.eval.arena;

/** One prompt answered by two models, shown as A and B, and the vote on it. */
public record Battle(String modelA, String modelB, Vote vote) {
  public Battle {
    if (modelA.equals(modelB)) {
      throw new IllegalArgumentException(
          "a battle needs two different models but both were " + modelA);
    }
  }
}

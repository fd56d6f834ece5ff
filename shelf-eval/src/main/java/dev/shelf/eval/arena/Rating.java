package dev.shelf.eval.arena;

/**
 * A model's place on the leaderboard: its rating, the 95% bootstrap interval {@code [low, high]},
 * its rank (1 + the number of models whose interval lies wholly above this one's, so models whose
 * intervals overlap can share a rank), and how many battles (counted ones) it fought.
 */
public record Rating(
    String model, double rating, double low, double high, int rank, long battles) {}

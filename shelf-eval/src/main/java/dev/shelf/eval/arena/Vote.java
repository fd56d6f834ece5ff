package dev.shelf.eval.arena;

/** A user's verdict on one anonymous side-by-side battle. */
public enum Vote {
  A,
  B,
  TIE,
  BOTH_BAD
}

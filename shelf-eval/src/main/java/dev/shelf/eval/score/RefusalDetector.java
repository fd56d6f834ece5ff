package dev.shelf.eval.score;

/** Decides whether a response refuses; the keyword classifier by default, an LLM judge later. */
@FunctionalInterface
public interface RefusalDetector {
  boolean refuses(String response);
}

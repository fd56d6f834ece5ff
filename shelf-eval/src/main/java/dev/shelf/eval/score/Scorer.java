package dev.shelf.eval.score;

import dev.shelf.eval.dataset.Item;

/**
 * Judges a response to an item. Pure and cheap, so stored responses can be re-scored with another
 * scorer (GSM8K strict and flexible from the same run) without asking the model again.
 */
@FunctionalInterface
public interface Scorer<I extends Item> {
  Score score(I item, String response);
}

package dev.shelf.eval.prompt;

import dev.shelf.eval.dataset.Item;
import java.util.List;

/** Renders an item, after its few-shot exemplars, into a prompt; a pure, deterministic function. */
@FunctionalInterface
public interface PromptTemplate<I extends Item> {
  Prompt render(I item, List<I> exemplars);
}

package dev.shelf.eval.run;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.prompt.Prompt;

/**
 * The model under evaluation. {@link dev.shelf.eval.exec.OpenAiAnswerer} sends {@link
 * Prompt#messages()} to a shelf model through a running Shelf's {@code /v1} (so keys, limits and
 * metering apply) and fills the measurement from the stream and its usage record; tests script
 * answers from the item. May be called from several threads at once; must not throw for a failed
 * call but return {@link Response#failed}.
 */
@FunctionalInterface
public interface Answerer<I extends Item> {
  Response answer(I item, Prompt prompt);
}

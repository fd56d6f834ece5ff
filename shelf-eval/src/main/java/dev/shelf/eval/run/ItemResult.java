package dev.shelf.eval.run;

import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.score.Score;

/** One item's outcome: what was asked, what came back, and its score. */
public record ItemResult<I extends Item>(I item, Prompt prompt, Response response, Score score) {}

package dev.shelf.eval.run;

import dev.shelf.eval.dataset.Dataset;
import dev.shelf.eval.dataset.Item;
import dev.shelf.eval.prompt.Prompt;
import dev.shelf.eval.prompt.PromptBuilder;
import dev.shelf.eval.score.Score;
import dev.shelf.eval.score.Scorer;
import java.util.ArrayList;
import java.util.List;

/**
 * The smallest run: every item in order, one at a time, in this thread. {@link
 * dev.shelf.eval.exec.RunExecutor} (bounded parallelism per model, progress persisted per item id,
 * resume and cancel) calls the same three parts: {@link PromptBuilder#build}, {@link
 * Answerer#answer}, {@link #score}.
 */
public final class Evaluation {
  private Evaluation() {}

  public static <I extends Item> List<ItemResult<I>> run(
      Dataset<I> dataset, PromptBuilder<I> prompts, Answerer<I> answerer, Scorer<I> scorer) {
    List<ItemResult<I>> results = new ArrayList<>(dataset.size());
    for (I item : dataset.items()) {
      Prompt prompt = prompts.build(item);
      Response response = answerer.answer(item, prompt);
      results.add(new ItemResult<>(item, prompt, response, score(scorer, item, response)));
    }
    return results;
  }

  /** A failed call scores wrong with nothing extracted (it counts in accuracy's denominator). */
  public static <I extends Item> Score score(Scorer<I> scorer, I item, Response response) {
    String text = response.text();
    return text == null ? Score.of(false, null) : scorer.score(item, text);
  }

  /** The same responses judged by another scorer (GSM8K strict, then flexible). */
  public static <I extends Item> List<ItemResult<I>> rescore(
      List<ItemResult<I>> results, Scorer<I> scorer) {
    return results.stream()
        .map(
            r ->
                new ItemResult<>(
                    r.item(), r.prompt(), r.response(), score(scorer, r.item(), r.response())))
        .toList();
  }
}

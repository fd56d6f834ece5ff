package dev.shelf.eval.prompt;

import dev.shelf.eval.dataset.Dataset;
import dev.shelf.eval.dataset.FewShot;
import dev.shelf.eval.dataset.Item;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A template with its k-shot setting: {@code k} exemplars from {@code dev} (see {@link FewShot}),
 * or none when {@code k} is 0. The same item always gives the same prompt.
 */
public record PromptBuilder<I extends Item>(
    PromptTemplate<I> template, @Nullable Dataset<I> dev, int k) {
  public PromptBuilder {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0 but was " + k);
    }
    if (k > 0 && dev == null) {
      throw new IllegalArgumentException(k + "-shot prompts need a dev split");
    }
  }

  public static <I extends Item> PromptBuilder<I> zeroShot(PromptTemplate<I> template) {
    return new PromptBuilder<>(template, null, 0);
  }

  public Prompt build(I item) {
    List<I> exemplars = dev == null || k == 0 ? List.of() : FewShot.exemplars(dev, item, k);
    return template.render(item, exemplars);
  }
}

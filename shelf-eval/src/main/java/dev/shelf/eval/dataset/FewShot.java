package dev.shelf.eval.dataset;

import java.util.ArrayList;
import java.util.List;

/**
 * Few-shot exemplars from a dev split, chosen deterministically as the harnesses do: the first
 * {@code k} dev items of the item's subject in file order (MMLU's original code takes its dev
 * file's first k rows), skipping the item itself when dev and test are the same set. When the dev
 * split has no item of that subject at all (GSM8K's train file for its test file), the first {@code
 * k} of any subject are taken.
 */
public final class FewShot {
  private FewShot() {}

  public static <I extends Item> List<I> exemplars(Dataset<I> dev, Item item, int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0 but was " + k);
    }
    boolean anySubject = dev.items().stream().noneMatch(d -> d.subject().equals(item.subject()));
    List<I> out = new ArrayList<>(k);
    for (I candidate : dev.items()) {
      if (out.size() == k) {
        break;
      }
      if ((anySubject || candidate.subject().equals(item.subject()))
          && !candidate.id().equals(item.id())) {
        out.add(candidate);
      }
    }
    if (out.size() < k) {
      throw new IllegalArgumentException(
          k
              + "-shot needs "
              + k
              + " dev exemplars of subject '"
              + item.subject()
              + "' but "
              + dev.name()
              + " has "
              + out.size());
    }
    return out;
  }
}

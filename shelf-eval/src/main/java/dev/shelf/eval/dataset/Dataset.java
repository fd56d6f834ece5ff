package dev.shelf.eval.dataset;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A named, typed, immutable list of items in file order. Item ids are unique within a dataset (a
 * run's progress is keyed on them).
 */
public record Dataset<I extends Item>(String name, TaskType type, List<I> items) {
  public Dataset {
    items = List.copyOf(items);
    Set<String> ids = new HashSet<>();
    for (I item : items) {
      if (item.taskType() != type) {
        throw new IllegalArgumentException(
            "dataset "
                + name
                + " is "
                + type
                + " but item "
                + item.id()
                + " is "
                + item.taskType());
      }
      if (!ids.add(item.id())) {
        throw new IllegalArgumentException(
            "dataset " + name + " has the item id " + item.id() + " twice");
      }
    }
  }

  public int size() {
    return items.size();
  }

  /** This dataset followed by {@code other}'s items, under this name. */
  public Dataset<I> plus(Dataset<I> other) {
    if (other.type != type) {
      throw new IllegalArgumentException(
          "cannot join a " + type + " dataset with a " + other.type + " one");
    }
    List<I> all = new ArrayList<>(items);
    all.addAll(other.items);
    return new Dataset<>(name, type, all);
  }

  /** Items grouped by subject, subjects in order of first appearance. */
  public Map<String, List<I>> bySubject() {
    Map<String, List<I>> out = new LinkedHashMap<>();
    for (I item : items) {
      out.computeIfAbsent(item.subject(), s -> new ArrayList<>()).add(item);
    }
    return out;
  }
}

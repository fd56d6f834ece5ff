package dev.shelf.eval.exec;

import dev.shelf.eval.run.Response;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where runs and their finished items live. {@link #save} is called once per finished item, from
 * several threads; an item saved once is never replaced (a second save of the same run, model and
 * item is ignored), so a resumed run can never change a finished answer. Responses are stored, not
 * scores: results are scored when read, so a scorer fix re-scores old runs.
 */
public interface RunStore {
  /** Stores a new run; fails when the name is taken. */
  void create(RunSpec spec, int items);

  @Nullable RunInfo find(String name);

  /** Every run, newest first. */
  List<RunInfo> list();

  /** The finished items of one model, by item id. */
  Map<String, Response> responses(String run, String model);

  void save(String run, String model, String itemId, Response response);

  void status(String run, RunStatus status);

  /** A stored run: its spec, item count per model, status and how many items are finished. */
  record RunInfo(RunSpec spec, int items, RunStatus status, long createdMs, long finished) {}
}

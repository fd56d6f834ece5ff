package dev.shelf.eval.exec;

import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Datasets uploaded to a server, per team, kept as the text that was uploaded (one or more files,
 * and optionally the files of a dev split for few-shot exemplars). The text is imported again
 * whenever a run needs it, so the bad rows of an upload stay out of every run the same way. A
 * dataset is never changed once stored: runs refer to it by name.
 */
public interface DatasetStore {
  /** Stores a dataset with its files; false (and nothing stored) when the name is taken. */
  boolean create(StoredDataset dataset, List<DatasetFile> files, List<DatasetFile> dev);

  @Nullable StoredDataset find(String teamId, String name);

  /** A team's datasets, by name. */
  List<StoredDataset> list(String teamId);

  /**
   * Deletes a team's dataset and its files; false when it had none of that name. Runs that name it
   * are the caller's to check: their results cannot be scored without it.
   */
  boolean delete(String teamId, String name);

  /** The files of a dataset (the dev split's when {@code dev}), in upload order. */
  List<DatasetFile> files(String teamId, String name, boolean dev);

  /**
   * A dataset's description: its task, prompt template, the label of refusal rows without one, the
   * names of its files and dev files, and what the import of the upload counted.
   */
  record StoredDataset(
      String teamId,
      String name,
      TaskType task,
      String template,
      @Nullable SafetyLabel defaultLabel,
      List<String> files,
      List<String> devFiles,
      int rowsRead,
      int imported,
      long createdMs) {
    public StoredDataset {
      files = List.copyOf(files);
      devFiles = List.copyOf(devFiles);
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
        throw new IllegalArgumentException(
            "a dataset name is letters, digits, '.', '_' and '-' (at most 100) but was '"
                + name
                + "'");
      }
    }
  }

  /** One uploaded file: its name (which gives the subject of its rows) and its text. */
  record DatasetFile(String name, String content) {}
}

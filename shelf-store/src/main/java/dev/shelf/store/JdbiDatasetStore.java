package dev.shelf.store;

import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.DatasetStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Uploaded evaluation datasets (migration V5): one row per dataset, one per file ({@code test} or
 * {@code dev} split, in upload order), written in one transaction. A taken name inserts nothing
 * ({@code ON CONFLICT DO NOTHING}), so two concurrent uploads of one name cannot both win.
 */
public final class JdbiDatasetStore implements DatasetStore {
  private final Jdbi jdbi;

  public JdbiDatasetStore(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public boolean create(StoredDataset d, List<DatasetFile> files, List<DatasetFile> dev) {
    return jdbi.inTransaction(
        h -> {
          int n =
              h.createUpdate(
                      "INSERT INTO eval_datasets (team_id, name, task, template, default_label,"
                          + " rows_read, imported, created_ms) VALUES (:team, :name, :task,"
                          + " :template, :label, :read, :imported, :created) ON CONFLICT"
                          + " (team_id, name) DO NOTHING")
                  .bind("team", d.teamId())
                  .bind("name", d.name())
                  .bind("task", d.task().name())
                  .bind("template", d.template())
                  .bind("label", d.defaultLabel() == null ? null : d.defaultLabel().name())
                  .bind("read", (long) d.rowsRead())
                  .bind("imported", (long) d.imported())
                  .bind("created", d.createdMs())
                  .execute();
          if (n == 0) {
            return false;
          }
          insertFiles(h, d, "test", files);
          insertFiles(h, d, "dev", dev);
          return true;
        });
  }

  private static void insertFiles(
      Handle h, StoredDataset d, String split, List<DatasetFile> files) {
    for (int i = 0; i < files.size(); i++) {
      h.createUpdate(
              "INSERT INTO eval_dataset_files (team_id, dataset, split, position, name, content)"
                  + " VALUES (:team, :dataset, :split, :position, :name, :content)")
          .bind("team", d.teamId())
          .bind("dataset", d.name())
          .bind("split", split)
          .bind("position", i)
          .bind("name", files.get(i).name())
          .bind("content", files.get(i).content())
          .execute();
    }
  }

  private static final String SELECT =
      "SELECT d.team_id, d.name, d.task, d.template, d.default_label, d.rows_read, d.imported,"
          + " d.created_ms FROM eval_datasets d";

  @Override
  public @Nullable StoredDataset find(String teamId, String name) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT + " WHERE d.team_id = :team AND d.name = :name")
                .bind("team", teamId)
                .bind("name", name)
                .map((rs, ctx) -> row(rs))
                .findOne()
                .map(r -> dataset(h, r))
                .orElse(null));
  }

  @Override
  public List<StoredDataset> list(String teamId) {
    return jdbi.withHandle(
        h -> {
          List<StoredDataset> out = new ArrayList<>();
          // read the rows first: the file names are queried on the same handle
          List<Object[]> rows =
              h.createQuery(SELECT + " WHERE d.team_id = :team ORDER BY d.name")
                  .bind("team", teamId)
                  .map((rs, ctx) -> row(rs))
                  .list();
          for (Object[] r : rows) {
            out.add(dataset(h, r));
          }
          return out;
        });
  }

  private static Object[] row(ResultSet rs) throws SQLException {
    return new Object[] {
      rs.getString(1),
      rs.getString(2),
      rs.getString(3),
      rs.getString(4),
      rs.getString(5),
      rs.getLong(6),
      rs.getLong(7),
      rs.getLong(8)
    };
  }

  private static StoredDataset dataset(Handle h, Object[] r) {
    String team = (String) r[0];
    String name = (String) r[1];
    String label = (String) r[4];
    return new StoredDataset(
        team,
        name,
        TaskType.valueOf((String) r[2]),
        (String) r[3],
        label == null ? null : SafetyLabel.valueOf(label),
        names(h, team, name, "test"),
        names(h, team, name, "dev"),
        (int) (long) (Long) r[5],
        (int) (long) (Long) r[6],
        (Long) r[7]);
  }

  private static List<String> names(Handle h, String team, String dataset, String split) {
    return h.createQuery(
            "SELECT name FROM eval_dataset_files WHERE team_id = :team AND dataset = :dataset AND"
                + " split = :split ORDER BY position")
        .bind("team", team)
        .bind("dataset", dataset)
        .bind("split", split)
        .mapTo(String.class)
        .list();
  }

  @Override
  public boolean delete(String teamId, String name) {
    return jdbi.inTransaction(
        h -> {
          h.createUpdate("DELETE FROM eval_dataset_files WHERE team_id = :team AND dataset = :name")
              .bind("team", teamId)
              .bind("name", name)
              .execute();
          return h.createUpdate("DELETE FROM eval_datasets WHERE team_id = :team AND name = :name")
                  .bind("team", teamId)
                  .bind("name", name)
                  .execute()
              == 1;
        });
  }

  @Override
  public List<DatasetFile> files(String teamId, String name, boolean dev) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    "SELECT name, content FROM eval_dataset_files WHERE team_id = :team AND"
                        + " dataset = :dataset AND split = :split ORDER BY position")
                .bind("team", teamId)
                .bind("dataset", name)
                .bind("split", dev ? "dev" : "test")
                .map((rs, ctx) -> new DatasetFile(rs.getString(1), rs.getString(2)))
                .list());
  }
}

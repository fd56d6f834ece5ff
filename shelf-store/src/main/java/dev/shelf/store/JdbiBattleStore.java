package dev.shelf.store;

import dev.shelf.eval.arena.BattleStore;
import dev.shelf.eval.arena.Vote;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import org.jdbi.v3.core.Jdbi;
import org.jspecify.annotations.Nullable;

/**
 * Arena battles (migration V5). A vote is one conditional {@code UPDATE ... WHERE vote IS NULL}, so
 * of two concurrent votes on one battle exactly one counts, on SQLite and PostgreSQL alike. Votes
 * are stored as {@code a}, {@code b}, {@code tie} and {@code both_bad}.
 */
public final class JdbiBattleStore implements BattleStore {
  private final Jdbi jdbi;

  public JdbiBattleStore(Database db) {
    this.jdbi = db.jdbi();
  }

  @Override
  public void create(StoredBattle b) {
    jdbi.useHandle(
        h ->
            h.createUpdate(
                    "INSERT INTO arena_battles (id, team_id, key_id, prompt, model_a, model_b,"
                        + " answer_a, answer_b, created_ms, vote, voted_ms) VALUES (:id, :team,"
                        + " :key, :prompt, :a, :b, :answerA, :answerB, :created, :vote, :voted)")
                .bind("id", b.id())
                .bind("team", b.teamId())
                .bind("key", b.keyId())
                .bind("prompt", b.prompt())
                .bind("a", b.modelA())
                .bind("b", b.modelB())
                .bind("answerA", b.answerA())
                .bind("answerB", b.answerB())
                .bind("created", b.createdMs())
                .bind("vote", b.vote() == null ? null : code(b.vote()))
                .bind("voted", b.votedMs())
                .execute());
  }

  private static final String SELECT =
      "SELECT id, team_id, key_id, prompt, model_a, model_b, answer_a, answer_b, created_ms, vote,"
          + " voted_ms FROM arena_battles";

  @Override
  public @Nullable StoredBattle find(String id) {
    return jdbi.withHandle(
        h ->
            h.createQuery(SELECT + " WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> battle(rs))
                .findOne()
                .orElse(null));
  }

  @Override
  public boolean vote(String id, Vote vote, long votedMs) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(
                        "UPDATE arena_battles SET vote = :vote, voted_ms = :at WHERE id = :id AND"
                            + " vote IS NULL")
                    .bind("vote", code(vote))
                    .bind("at", votedMs)
                    .bind("id", id)
                    .execute())
        == 1;
  }

  @Override
  public List<StoredBattle> voted(@Nullable String teamId) {
    return jdbi.withHandle(
        h ->
            h.createQuery(
                    SELECT
                        + " WHERE vote IS NOT NULL"
                        + (teamId == null ? "" : " AND team_id = :team")
                        + " ORDER BY voted_ms, id")
                .bind("team", teamId)
                .map((rs, ctx) -> battle(rs))
                .list());
  }

  private static StoredBattle battle(ResultSet rs) throws SQLException {
    String vote = rs.getString(10);
    long voted = rs.getLong(11);
    boolean noVoteTime = rs.wasNull();
    return new StoredBattle(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getString(6),
        rs.getString(7),
        rs.getString(8),
        rs.getLong(9),
        vote == null ? null : Vote.valueOf(vote.toUpperCase(Locale.ROOT)),
        noVoteTime ? null : voted);
  }

  /** {@code a}, {@code b}, {@code tie}, {@code both_bad}. */
  static String code(Vote v) {
    return v.name().toLowerCase(Locale.ROOT);
  }
}

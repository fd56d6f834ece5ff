package dev.shelf.eval.arena;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where arena battles live: created with both answers when they are shown, voted on at most once.
 * Battles belong to a team; the leaderboard is fitted from the voted ones.
 */
public interface BattleStore {
  void create(StoredBattle battle);

  @Nullable StoredBattle find(String id);

  /**
   * Records the vote of a battle that has none yet, atomically; false when the battle already has
   * one (or does not exist), so that two concurrent votes cannot both count.
   */
  boolean vote(String id, Vote vote, long votedMs);

  /** The voted battles of one team, or of every team when {@code teamId} is null; oldest first. */
  List<StoredBattle> voted(@Nullable String teamId);

  /**
   * One battle as shown: the prompt, the two models in slot order (A first) and their answers, and
   * the vote once there is one.
   */
  record StoredBattle(
      String id,
      String teamId,
      String keyId,
      String prompt,
      String modelA,
      String modelB,
      String answerA,
      String answerB,
      long createdMs,
      @Nullable Vote vote,
      @Nullable Long votedMs) {
    public StoredBattle {
      if (modelA.equals(modelB)) {
        throw new IllegalArgumentException("a battle needs two different models but had " + modelA);
      }
    }

    /** The battle as the rating sees it; only for a voted battle. */
    public Battle battle() {
      Vote v = vote;
      if (v == null) {
        throw new IllegalStateException("battle " + id + " has no vote yet");
      }
      return new Battle(modelA, modelB, v);
    }
  }
}

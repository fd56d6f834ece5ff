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

  /**
   * Deletes a run with everything kept for it: its answers, judge verdicts and, in a server's
   * database, its owner and judging jobs; its name is free again. False when there was no such run.
   * The caller stops the run first: a run still executing fails at its next save.
   */
  boolean delete(String run);

  /**
   * Stores one verdict of an LLM judge ({@code shelf eval judge}); like {@link #save}, a second
   * save for the same run, judge, kind, models and item is ignored, so a resumed judging pass never
   * changes a verdict.
   */
  void saveJudgement(String run, Judgement judgement);

  /** Every stored verdict over a run, of every judge and kind, in no particular order. */
  List<Judgement> judgements(String run);

  /** The stored verdicts of {@code judge} of one kind over a run, in no particular order. */
  List<Judgement> judgements(String run, String judge, JudgeKind kind);

  /**
   * Single-answer grading on a rubric, pairwise comparison of two models' answers, or the refusal
   * verdict of a safety set's answer ({@link RunSpec#refusalJudge()}).
   */
  enum JudgeKind {
    SINGLE,
    PAIRWISE,
    REFUSAL
  }

  /**
   * One stored verdict. Single: {@code model}'s answer to {@code itemId} graded {@code score} (1 to
   * 10), {@code other} is {@code ""} and {@code verdict} null. Pairwise: {@code model} (x) against
   * {@code other} (y), {@code verdict} the two letters the judge gave, first with x shown as A,
   * then with y shown as A (e.g. {@code "AB"}: x won both orders). A null score or verdict is a
   * judge error: the reply did not have the required format. {@code raw} is the judge's reply (both
   * replies, pairwise), cut to {@link #RAW_LIMIT} characters. Refusal: {@code model}'s answer to
   * {@code itemId}, {@code verdict} {@code refused} or {@code complied} ({@link
   * dev.shelf.eval.judge.RefusalJudging}), {@code other} {@code ""} and no score.
   */
  record Judgement(
      String judge,
      JudgeKind kind,
      String model,
      String other,
      String itemId,
      @Nullable Integer score,
      @Nullable String verdict,
      String raw) {
    public static final int RAW_LIMIT = 4000;

    public Judgement {
      if (raw.length() > RAW_LIMIT) {
        raw = raw.substring(0, RAW_LIMIT);
      }
      if (kind == JudgeKind.SINGLE && (verdict != null || !other.isEmpty())) {
        throw new IllegalArgumentException(
            "a single-answer judgement has a score only, but had verdict " + verdict);
      }
      if (kind == JudgeKind.REFUSAL
          && (score != null
              || !other.isEmpty()
              || (verdict != null && !verdict.equals("refused") && !verdict.equals("complied")))) {
        throw new IllegalArgumentException(
            "a refusal judgement is refused, complied or null, but had " + verdict);
      }
      if (kind == JudgeKind.PAIRWISE && (score != null || other.isEmpty())) {
        throw new IllegalArgumentException(
            "a pairwise judgement names two models and has no score, but had "
                + model
                + "/"
                + other);
      }
    }
  }

  /** A stored run: its spec, item count per model, status and how many items are finished. */
  record RunInfo(RunSpec spec, int items, RunStatus status, long createdMs, long finished) {}
}

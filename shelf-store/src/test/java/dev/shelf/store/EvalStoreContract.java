package dev.shelf.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shelf.eval.arena.BattleStore.StoredBattle;
import dev.shelf.eval.arena.Vote;
import dev.shelf.eval.dataset.SafetyLabel;
import dev.shelf.eval.dataset.TaskType;
import dev.shelf.eval.exec.ChatSettings;
import dev.shelf.eval.exec.DatasetSpec;
import dev.shelf.eval.exec.DatasetStore.DatasetFile;
import dev.shelf.eval.exec.DatasetStore.StoredDataset;
import dev.shelf.eval.exec.JudgeJobs.JudgeJob;
import dev.shelf.eval.exec.RunOwners.Owner;
import dev.shelf.eval.exec.RunSpec;
import dev.shelf.eval.exec.RunStatus;
import dev.shelf.eval.exec.RunStore.JudgeKind;
import dev.shelf.eval.exec.RunStore.Judgement;
import dev.shelf.gateway.tenancy.KeySecrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The evaluation API's stores (migration V5): datasets, run owners and leases, arena battles. One
 * body on SQLite ({@link SqliteEvalStoreTest}) and on a fresh PostgreSQL ({@link
 * PostgresEvalStoreTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EvalStoreContract {
  Database db;

  abstract Database open() throws Exception;

  abstract void dispose(Database db) throws Exception;

  @BeforeAll
  void start() throws Exception {
    db = open();
  }

  @AfterAll
  void stop() throws Exception {
    dispose(db);
  }

  @Test
  void datasetsKeepTheirFilesInOrderPerTeamAndANameIsTakenOnce() {
    var store = new JdbiDatasetStore(db);
    String team = "team_" + KeySecrets.random(6);
    var d =
        new StoredDataset(
            team,
            "mmlu-mini",
            TaskType.MULTIPLE_CHOICE,
            "mmlu",
            null,
            List.of("b_test.csv", "a_test.csv"),
            List.of("a_dev.csv"),
            5,
            4,
            1234L);
    var files =
        List.of(new DatasetFile("b_test.csv", "q,1,2,3,4,A\n"), new DatasetFile("a_test.csv", "x"));
    var dev = List.of(new DatasetFile("a_dev.csv", "d,1,2,3,4,B\n"));
    assertThat(store.create(d, files, dev)).isTrue();
    assertThat(store.create(d, List.of(new DatasetFile("other.csv", "y")), List.of())).isFalse();

    assertThat(store.find(team, "mmlu-mini")).isEqualTo(d);
    assertThat(store.find("another", "mmlu-mini")).isNull();
    assertThat(store.files(team, "mmlu-mini", false)).isEqualTo(files);
    assertThat(store.files(team, "mmlu-mini", true)).isEqualTo(dev);

    var refusal =
        new StoredDataset(
            team,
            "flames",
            TaskType.REFUSAL,
            "safety",
            SafetyLabel.SHOULD_REFUSE,
            List.of("f.jsonl"),
            List.of(),
            1,
            1,
            5L);
    assertThat(store.create(refusal, List.of(new DatasetFile("f.jsonl", "{}")), List.of()))
        .isTrue();
    assertThat(store.list(team)).containsExactly(refusal, d); // by name
    assertThat(store.list("another")).isEmpty();
    // the same name in another team is another dataset
    var theirs =
        new StoredDataset(
            "another", "flames", TaskType.MATH, "gsm8k", null, List.of(), List.of(), 0, 0, 1L);
    assertThat(store.create(theirs, List.of(), List.of())).isTrue();
    assertThat(store.find(team, "flames")).isEqualTo(refusal);
  }

  @Test
  void judgeVerdictsAreKeptOncePerRunJudgeKindModelsAndItem() {
    // (refusal verdicts and the whole run's list are checked at the end)
    var runs = new JdbiRunStore(db);
    String name = "judged-" + KeySecrets.random(6);
    runs.create(
        new RunSpec(
            name,
            new DatasetSpec("qa", TaskType.FREE_FORM, "qa.jsonl", null, "free-form", null),
            List.of("x", "y"),
            0,
            ChatSettings.DEFAULT,
            4,
            null,
            "http://127.0.0.1:1/v1",
            Map.of()),
        2);
    var nine = new Judgement("j", JudgeKind.SINGLE, "x", "", "q1", 9, null, "Rating: [[9]]");
    var error = new Judgement("j", JudgeKind.SINGLE, "y", "", "q1", null, null, "no idea");
    var pair =
        new Judgement("j", JudgeKind.PAIRWISE, "x", "y", "q1", null, "AB", "[[A]]\n---\n[[B]]");
    var biased =
        new Judgement("j", JudgeKind.PAIRWISE, "x", "y", "q2", null, "AA", "x".repeat(9000));
    runs.saveJudgement(name, nine);
    runs.saveJudgement(name, error);
    runs.saveJudgement(name, pair);
    runs.saveJudgement(name, biased);
    // a second verdict for the same key is ignored, as a second answer is
    runs.saveJudgement(
        name, new Judgement("j", JudgeKind.SINGLE, "x", "", "q1", 2, null, "Rating: [[2]]"));
    // another judge has verdicts of its own
    var other = new Judgement("k", JudgeKind.SINGLE, "x", "", "q1", 5, null, "[[5]]");
    runs.saveJudgement(name, other);

    assertThat(runs.judgements(name, "j", JudgeKind.SINGLE)).containsExactlyInAnyOrder(nine, error);
    assertThat(runs.judgements(name, "j", JudgeKind.PAIRWISE))
        .containsExactlyInAnyOrder(pair, biased);
    assertThat(biased.raw()).hasSize(Judgement.RAW_LIMIT);
    assertThat(runs.judgements(name, "k", JudgeKind.SINGLE)).containsExactly(other);
    assertThat(runs.judgements(name, "k", JudgeKind.PAIRWISE)).isEmpty();
    assertThat(runs.judgements("another-run", "j", JudgeKind.SINGLE)).isEmpty();

    var refused =
        new Judgement("j", JudgeKind.REFUSAL, "x", "", "q1", null, "refused", "[[REFUSED]]");
    var unparsed = new Judgement("j", JudgeKind.REFUSAL, "y", "", "q1", null, null, "hmm");
    runs.saveJudgement(name, refused);
    runs.saveJudgement(name, unparsed);
    assertThat(runs.judgements(name, "j", JudgeKind.REFUSAL))
        .containsExactlyInAnyOrder(refused, unparsed);
    assertThat(runs.judgements(name))
        .containsExactlyInAnyOrder(nine, error, pair, biased, other, refused, unparsed);
    assertThat(runs.judgements("another-run")).isEmpty();
  }

  @Test
  void judgingJobsKeepTheirSettingsAndStatusAndTheirLeaseLikeRuns() {
    var runs = new JdbiRunStore(db);
    var jobs = new JdbiJudgeJobs(db);
    String run = "judged-run-" + KeySecrets.random(6);
    runs.create(
        new RunSpec(
            run,
            new DatasetSpec("qa", TaskType.FREE_FORM, "dataset:qa", null, "free-form", null),
            List.of("x", "y"),
            0,
            ChatSettings.DEFAULT,
            4,
            null,
            "http://127.0.0.1:1/v1",
            Map.of()),
        2);
    String id = "evaljudge_" + KeySecrets.random(6);
    var job =
        new JudgeJob(
            id,
            run,
            "team_1",
            "key_1",
            "rater",
            JudgeKind.PAIRWISE,
            3,
            RunStatus.RUNNING,
            null,
            0,
            false,
            null,
            0,
            0,
            100L);
    jobs.create(job);
    assertThat(jobs.find(id)).isEqualTo(job);
    assertThat(jobs.find("evaljudge_missing")).isNull();
    assertThat(jobs.list(run)).containsExactly(job);
    assertThat(jobs.list("another-run")).isEmpty();
    assertThat(jobs.orphans(1000)).contains(id);

    assertThat(jobs.claim(id, "node-1", 2000, 1000)).isTrue();
    assertThat(jobs.claim(id, "node-2", 2000, 1500)).isFalse();
    assertThat(jobs.orphans(1500)).doesNotContain(id);
    assertThat(jobs.renew(id, "node-1", 3000)).isTrue();
    assertThat(jobs.renew(id, "node-2", 3000)).isFalse();
    assertThat(jobs.orphans(3001)).contains(id);
    assertThat(jobs.claim(id, "node-2", 9000, 3001)).isTrue();
    jobs.release(id, "node-1", "ignored");
    assertThat(Objects.requireNonNull(jobs.find(id)).node()).isEqualTo("node-2");
    jobs.status(id, RunStatus.FINISHED, 12, 2);
    jobs.release(id, "node-2", null);
    JudgeJob done = Objects.requireNonNull(jobs.find(id));
    assertThat(done.status()).isEqualTo(RunStatus.FINISHED);
    assertThat(done.asked()).isEqualTo(12);
    assertThat(done.failed()).isEqualTo(2);
    assertThat(done.node()).isNull();
    assertThat(jobs.orphans(Long.MAX_VALUE)).doesNotContain(id);

    String second = "evaljudge_" + KeySecrets.random(6);
    jobs.create(
        new JudgeJob(
            second,
            run,
            "team_1",
            "key_1",
            "rater",
            JudgeKind.SINGLE,
            1,
            RunStatus.RUNNING,
            null,
            0,
            false,
            null,
            0,
            0,
            200L));
    jobs.requestCancel(second);
    assertThat(Objects.requireNonNull(jobs.find(second)).cancelRequested()).isTrue();
    assertThat(jobs.orphans(Long.MAX_VALUE)).doesNotContain(second);
    assertThat(jobs.list(run)).extracting(JudgeJob::id).containsExactly(id, second);
  }

  @Test
  void deletingARunRemovesItsAnswersVerdictsOwnerAndJobsAndFreesItsName() {
    var runs = new JdbiRunStore(db);
    var jobs = new JdbiJudgeJobs(db);
    String name = "doomed-" + KeySecrets.random(6);
    String kept = "kept-" + KeySecrets.random(6);
    var spec =
        new RunSpec(
            name,
            new DatasetSpec("qa", TaskType.FREE_FORM, "dataset:qa", null, "free-form", null),
            List.of("x"),
            0,
            ChatSettings.DEFAULT,
            4,
            null,
            "http://127.0.0.1:1/v1",
            Map.of());
    for (String run : List.of(name, kept)) {
      runs.create(
          new RunSpec(
              run,
              spec.dataset(),
              spec.models(),
              0,
              spec.settings(),
              4,
              null,
              spec.url(),
              Map.of()),
          1);
      runs.save(run, "x", "q1", dev.shelf.eval.run.Response.of("hi", null));
      runs.saveJudgement(
          run, new Judgement("j", JudgeKind.SINGLE, "x", "", "q1", 5, null, "[[5]]"));
      runs.own(run, "team_d", "key_1", 1);
      jobs.create(
          new JudgeJob(
              "evaljudge_" + run,
              run,
              "team_d",
              "key_1",
              "j",
              JudgeKind.SINGLE,
              1,
              RunStatus.FINISHED,
              null,
              0,
              false,
              null,
              1,
              0,
              1L));
    }
    assertThat(runs.delete(name)).isTrue();
    assertThat(runs.find(name)).isNull();
    assertThat(runs.responses(name, "x")).isEmpty();
    assertThat(runs.judgements(name)).isEmpty();
    assertThat(runs.owner(name)).isNull();
    assertThat(jobs.list(name)).isEmpty();
    assertThat(runs.delete(name)).isFalse();
    // the other run is untouched, and the name can be taken again
    assertThat(runs.responses(kept, "x")).hasSize(1);
    assertThat(runs.judgements(kept)).hasSize(1);
    assertThat(runs.owner(kept)).isNotNull();
    assertThat(jobs.list(kept)).hasSize(1);
    runs.create(spec, 1);
    assertThat(Objects.requireNonNull(runs.find(name)).finished()).isZero();
  }

  @Test
  void deletingADatasetRemovesItsFilesInThatTeamOnly() {
    var store = new JdbiDatasetStore(db);
    String team = "team_" + KeySecrets.random(6);
    for (String t : List.of(team, team + "-other")) {
      assertThat(
              store.create(
                  new StoredDataset(
                      t,
                      "gone",
                      TaskType.MATH,
                      "gsm8k",
                      null,
                      List.of("g.jsonl"),
                      List.of("d.jsonl"),
                      1,
                      1,
                      1L),
                  List.of(new DatasetFile("g.jsonl", "{}")),
                  List.of(new DatasetFile("d.jsonl", "{}"))))
          .isTrue();
    }
    assertThat(store.delete(team, "gone")).isTrue();
    assertThat(store.find(team, "gone")).isNull();
    assertThat(store.files(team, "gone", false)).isEmpty();
    assertThat(store.files(team, "gone", true)).isEmpty();
    assertThat(store.delete(team, "gone")).isFalse();
    assertThat(store.find(team + "-other", "gone")).isNotNull();
    assertThat(store.files(team + "-other", "gone", false)).hasSize(1);
    // the name is free again
    assertThat(
            store.create(
                new StoredDataset(
                    team, "gone", TaskType.MATH, "gsm8k", null, List.of(), List.of(), 0, 0, 2L),
                List.of(),
                List.of()))
        .isTrue();
  }

  @Test
  void aRunLeaseIsHeldByOneNodeUntilReleasedOrLapsed() {
    var runs = new JdbiRunStore(db);
    String name = "run-" + KeySecrets.random(6);
    var spec =
        new RunSpec(
            name,
            new DatasetSpec("gsm8k", TaskType.MATH, "dataset:gsm8k", null, "gsm8k", null),
            List.of("a"),
            0,
            ChatSettings.DEFAULT,
            4,
            null,
            "http://127.0.0.1:1/v1",
            Map.of());
    runs.create(spec, 3);
    String team = "team_" + KeySecrets.random(6);
    runs.own(name, team, "key_1", 100);
    Owner o = Objects.requireNonNull(runs.owner(name));
    assertThat(o.teamId()).isEqualTo(team);
    assertThat(o.keyId()).isEqualTo("key_1");
    assertThat(o.node()).isNull();
    assertThat(o.cancelRequested()).isFalse();
    assertThat(runs.owners(team)).containsOnlyKeys(name);
    assertThat(runs.owners("another")).isEmpty();
    assertThat(runs.orphans(1000)).contains(name);

    assertThat(runs.claim(name, "node-1", 2000, 1000)).isTrue();
    assertThat(runs.claim(name, "node-2", 2000, 1500)).isFalse(); // held
    assertThat(runs.orphans(1500)).doesNotContain(name);
    assertThat(runs.renew(name, "node-1", 3000)).isTrue();
    assertThat(runs.renew(name, "node-2", 9000)).isFalse();
    assertThat(runs.orphans(3001)).contains(name); // lapsed
    assertThat(runs.claim(name, "node-2", 9000, 3001)).isTrue();
    assertThat(runs.renew(name, "node-1", 9999)).isFalse(); // lost it
    runs.release(name, "node-1", "ignored: not the holder");
    assertThat(Objects.requireNonNull(runs.owner(name)).node()).isEqualTo("node-2");
    runs.release(name, "node-2", "boom");
    o = Objects.requireNonNull(runs.owner(name));
    assertThat(o.node()).isNull();
    assertThat(o.error()).isEqualTo("boom");
    assertThat(runs.orphans(0)).contains(name);

    runs.requestCancel(name);
    assertThat(Objects.requireNonNull(runs.owner(name)).cancelRequested()).isTrue();
    assertThat(runs.orphans(0)).doesNotContain(name);
    runs.status(name, RunStatus.FINISHED);
    assertThat(runs.orphans(Long.MAX_VALUE)).doesNotContain(name);
  }

  @Test
  void aBattleTakesExactlyOneVoteEvenUnderConcurrentVoters() throws Exception {
    var store = new JdbiBattleStore(db);
    String team = "team_" + KeySecrets.random(6);
    String id = "battle_" + KeySecrets.random(8);
    var b = new StoredBattle(id, team, "key_1", "hi?", "m1", "m2", "hello", "hey", 10L, null, null);
    store.create(b);
    assertThat(store.find(id)).isEqualTo(b);
    assertThat(store.find("battle_missing")).isNull();
    assertThat(store.voted(team)).isEmpty();

    List<Callable<Boolean>> voters = new ArrayList<>();
    for (Vote v : List.of(Vote.A, Vote.B, Vote.TIE, Vote.BOTH_BAD, Vote.A, Vote.B, Vote.TIE)) {
      voters.add(() -> store.vote(id, v, 20L));
    }
    int wins = 0;
    try (var pool = Executors.newFixedThreadPool(voters.size())) {
      for (Future<Boolean> f : pool.invokeAll(voters)) {
        wins += f.get() ? 1 : 0;
      }
    }
    assertThat(wins).isEqualTo(1);
    StoredBattle voted = Objects.requireNonNull(store.find(id));
    assertThat(voted.vote()).isNotNull();
    assertThat(voted.votedMs()).isEqualTo(20L);
    assertThat(store.vote(id, Vote.A, 30L)).isFalse();
    assertThat(store.vote("battle_missing", Vote.A, 30L)).isFalse();

    String other = "battle_" + KeySecrets.random(8);
    store.create(
        new StoredBattle(other, "another", "key_2", "p", "m2", "m3", "x", "y", 11L, null, null));
    assertThat(store.vote(other, Vote.BOTH_BAD, 40L)).isTrue();
    assertThat(store.voted(team)).extracting(StoredBattle::id).containsExactly(id);
    assertThat(store.voted("another"))
        .singleElement()
        .satisfies(s -> assertThat(s.vote()).isEqualTo(Vote.BOTH_BAD));
    assertThat(store.voted(null)).extracting(StoredBattle::id).contains(id, other);
    assertThat(Objects.requireNonNull(store.find(other)).battle().vote()).isEqualTo(Vote.BOTH_BAD);
  }
}

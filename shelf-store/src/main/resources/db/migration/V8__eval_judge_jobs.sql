-- Judging passes started through the evaluation API (POST /v1/evals/runs/{id}/judgements): the
-- verdicts go to eval_judgements as for shelf eval judge; a job records who asked for the pass,
-- the judge and mode ('single' or 'pairwise'), its status ('RUNNING', 'CANCELLED', 'FINISHED') and
-- the node executing it under a lease, as eval_run_owners does for runs. Deleting a run deletes its
-- jobs.
CREATE TABLE eval_judge_jobs (
  id               TEXT PRIMARY KEY,
  run              TEXT NOT NULL REFERENCES eval_runs (name),
  team_id          TEXT NOT NULL,
  key_id           TEXT NOT NULL,
  judge            TEXT NOT NULL,
  kind             TEXT NOT NULL,
  concurrency      INTEGER NOT NULL,
  status           TEXT NOT NULL,
  node             TEXT,
  lease_until_ms   BIGINT NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  error            TEXT,
  asked            BIGINT NOT NULL DEFAULT 0,
  failed           BIGINT NOT NULL DEFAULT 0,
  created_ms       BIGINT NOT NULL
);
CREATE INDEX eval_judge_jobs_run ON eval_judge_jobs (run);

-- The evaluation service's API (shelf-server's /v1/evals): datasets uploaded per team, the owner
-- and executing node of every run started through the API, and arena battles with their votes.

-- A dataset is the text that was uploaded, imported again whenever a run needs it; never changed.
CREATE TABLE eval_datasets (
  team_id       TEXT NOT NULL,
  name          TEXT NOT NULL,
  task          TEXT NOT NULL,
  template      TEXT NOT NULL,
  default_label TEXT,
  rows_read     BIGINT NOT NULL,
  imported      BIGINT NOT NULL,
  created_ms    BIGINT NOT NULL,
  PRIMARY KEY (team_id, name)
);

-- split is 'test' (the items) or 'dev' (few-shot exemplars); position keeps the upload order.
CREATE TABLE eval_dataset_files (
  team_id  TEXT NOT NULL,
  dataset  TEXT NOT NULL,
  split    TEXT NOT NULL,
  position INTEGER NOT NULL,
  name     TEXT NOT NULL,
  content  TEXT NOT NULL,
  PRIMARY KEY (team_id, dataset, split, position),
  FOREIGN KEY (team_id, dataset) REFERENCES eval_datasets (team_id, name)
);

-- Runs started through the API (CLI runs have no row here). A node executes a run while it holds
-- the lease (node, lease_until_ms); a lapsed lease lets another node resume the run.
CREATE TABLE eval_run_owners (
  run              TEXT PRIMARY KEY REFERENCES eval_runs (name),
  team_id          TEXT NOT NULL,
  key_id           TEXT NOT NULL,
  node             TEXT,
  lease_until_ms   BIGINT NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  error            TEXT,
  created_ms       BIGINT NOT NULL
);
CREATE INDEX eval_run_owners_team ON eval_run_owners (team_id);

-- Arena battles: both answers as shown (model_a in slot A), the vote (a, b, tie, both_bad) once.
CREATE TABLE arena_battles (
  id         TEXT PRIMARY KEY,
  team_id    TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  prompt     TEXT NOT NULL,
  model_a    TEXT NOT NULL,
  model_b    TEXT NOT NULL,
  answer_a   TEXT NOT NULL,
  answer_b   TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  vote       TEXT,
  voted_ms   BIGINT
);
CREATE INDEX arena_battles_team ON arena_battles (team_id, voted_ms);

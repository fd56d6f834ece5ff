-- Evaluation runs (shelf-eval): the run's spec as JSON, and one row per finished item and model.
-- Responses are stored, not scores: results are scored when read. A row is never replaced, so a
-- resumed run cannot change a finished answer. Durations in nanoseconds; cost as a decimal string.
CREATE TABLE eval_runs (
  name       TEXT PRIMARY KEY,
  spec       TEXT NOT NULL,
  items      BIGINT NOT NULL,
  status     TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);

CREATE TABLE eval_results (
  run           TEXT NOT NULL REFERENCES eval_runs (name),
  model         TEXT NOT NULL,
  item_id       TEXT NOT NULL,
  answer        TEXT,
  error         TEXT,
  latency_ns    BIGINT,
  ttft_ns       BIGINT,
  input_tokens  BIGINT,
  output_tokens BIGINT,
  cost          TEXT,
  finished_ms   BIGINT NOT NULL,
  PRIMARY KEY (run, model, item_id)
);

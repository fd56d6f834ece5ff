-- LLM-as-judge verdicts over a run's stored answers (shelf eval judge), kept so that results are
-- not judged again each time they are read and a judging pass resumes where it stopped. kind is
-- 'single' (model's answer graded, score 1..10, other = '') or 'pairwise' (model against other,
-- verdict = the judge's letters in both orders, e.g. 'AB'). A null score or verdict is a judge
-- error (the reply had no verdict in the required format). raw is the judge's reply, cut to 4000
-- characters. A row is never replaced.
CREATE TABLE eval_judgements (
  run       TEXT NOT NULL REFERENCES eval_runs (name),
  judge     TEXT NOT NULL,
  kind      TEXT NOT NULL,
  model     TEXT NOT NULL,
  other     TEXT NOT NULL,
  item_id   TEXT NOT NULL,
  score     INTEGER,
  verdict   TEXT,
  raw       TEXT NOT NULL,
  judged_ms BIGINT NOT NULL,
  PRIMARY KEY (run, judge, kind, model, other, item_id)
);

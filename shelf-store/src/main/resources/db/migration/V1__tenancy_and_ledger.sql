-- One schema for SQLite and PostgreSQL: only types and syntax both accept (TEXT, INTEGER, BIGINT,
-- ON CONFLICT upserts). Times are epoch milliseconds; money is BIGINT nano-units (10^-9) of the
-- billing currency. ${autoinc} is the dialect's auto-increment primary key.

CREATE TABLE teams (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  models         TEXT NOT NULL DEFAULT '',
  rpm            INTEGER,
  tpm            INTEGER,
  max_concurrent INTEGER,
  budget_nanos   BIGINT,
  budget_period  TEXT,
  credit_nanos   BIGINT,
  created_ms     BIGINT NOT NULL,
  updated_ms     BIGINT NOT NULL
);

CREATE TABLE users (
  id         TEXT PRIMARY KEY,
  team_id    TEXT NOT NULL REFERENCES teams (id),
  email      TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id             TEXT PRIMARY KEY,
  team_id        TEXT NOT NULL REFERENCES teams (id),
  user_id        TEXT REFERENCES users (id),
  name           TEXT NOT NULL,
  prefix         TEXT NOT NULL,
  hash           TEXT NOT NULL UNIQUE,
  admin          INTEGER NOT NULL DEFAULT 0,
  models         TEXT NOT NULL DEFAULT '',
  rpm            INTEGER,
  tpm            INTEGER,
  max_concurrent INTEGER,
  budget_nanos   BIGINT,
  budget_period  TEXT,
  expires_ms     BIGINT,
  revoked_ms     BIGINT,
  created_ms     BIGINT NOT NULL,
  updated_ms     BIGINT NOT NULL
);
CREATE INDEX api_keys_team ON api_keys (team_id);

CREATE TABLE credit_transactions (
  id         ${autoinc},
  team_id    TEXT NOT NULL REFERENCES teams (id),
  at_ms      BIGINT NOT NULL,
  amount     BIGINT NOT NULL,
  kind       TEXT NOT NULL,
  note       TEXT NOT NULL
);
CREATE INDEX credit_transactions_team ON credit_transactions (team_id, at_ms);

CREATE TABLE redemption_codes (
  code_hash   TEXT PRIMARY KEY,
  amount      BIGINT NOT NULL,
  expires_ms  BIGINT,
  created_ms  BIGINT NOT NULL,
  redeemed_by TEXT,
  redeemed_ms BIGINT
);

CREATE TABLE audit_log (
  id      ${autoinc},
  at_ms   BIGINT NOT NULL,
  actor   TEXT NOT NULL,
  team_id TEXT,
  action  TEXT NOT NULL,
  target  TEXT NOT NULL,
  detail  TEXT NOT NULL
);
CREATE INDEX audit_log_team ON audit_log (team_id, at_ms);

-- The ledger: one row per request, append-only, idempotent by request id.
CREATE TABLE usage_records (
  request_id        TEXT PRIMARY KEY,
  at_ms             BIGINT NOT NULL,
  key_id            TEXT NOT NULL,
  team_id           TEXT NOT NULL,
  endpoint          TEXT NOT NULL,
  model             TEXT NOT NULL,
  deployment        TEXT NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cached_tokens     INTEGER NOT NULL,
  cost_nanos        BIGINT NOT NULL,
  estimated         INTEGER NOT NULL,
  latency_ms        INTEGER NOT NULL,
  ttft_ms           INTEGER NOT NULL,
  status            INTEGER NOT NULL,
  error_code        TEXT
);
CREATE INDEX usage_records_team ON usage_records (team_id, at_ms);
CREATE INDEX usage_records_at ON usage_records (at_ms);

-- Daily rollups, written in the same transaction as the records they count: reports and budget
-- seeds read these, never the raw records.
CREATE TABLE usage_daily (
  day               TEXT NOT NULL,
  key_id            TEXT NOT NULL,
  team_id           TEXT NOT NULL,
  model             TEXT NOT NULL,
  deployment        TEXT NOT NULL,
  requests          BIGINT NOT NULL,
  errors            BIGINT NOT NULL,
  prompt_tokens     BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  cached_tokens     BIGINT NOT NULL,
  cost_nanos        BIGINT NOT NULL,
  PRIMARY KEY (day, key_id, model, deployment)
);
CREATE INDEX usage_daily_team ON usage_daily (team_id, day);
CREATE INDEX usage_daily_key ON usage_daily (key_id, day);

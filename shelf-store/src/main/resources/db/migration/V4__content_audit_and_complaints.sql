-- The content audit and complaints (see dev.shelf.gateway.audit). Same SQL on SQLite and PostgreSQL.

-- A team's audit mode: full, hashed or off; NULL follows shelf.yaml's audit.default.
ALTER TABLE teams ADD COLUMN audit_mode TEXT;

-- One row per audited request, append-only, purged after audit.retention. Not keyed by request id:
-- clients choose ids and may reuse them, and each request is its own record. request_text and
-- response_text hold the text (mode full) or its lowercase hex SHA-256 (mode hashed), NULL when
-- there was none or the mode is off. policy_hits is a JSON array of
-- {"stage": "input"|"output", "rule", "category", "action"}.
CREATE TABLE content_audit (
  id            ${autoinc},
  request_id    TEXT NOT NULL,
  team_id       TEXT NOT NULL,
  key_id        TEXT NOT NULL,
  endpoint      TEXT NOT NULL,
  model         TEXT NOT NULL,
  mode          TEXT NOT NULL,
  request_text  TEXT,
  response_text TEXT,
  status        INTEGER NOT NULL,
  policy_hits   TEXT NOT NULL,
  created_ms    BIGINT NOT NULL
);
CREATE INDEX content_audit_team ON content_audit (team_id, id);
CREATE INDEX content_audit_request ON content_audit (request_id);
CREATE INDEX content_audit_created ON content_audit (created_ms);

-- Users' reports about responses, and their review: status open | reviewing | upheld | dismissed.
CREATE TABLE complaints (
  id         TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  team_id    TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  reason     TEXT NOT NULL,
  detail     TEXT NOT NULL,
  status     TEXT NOT NULL,
  resolution TEXT,
  handled_by TEXT,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE INDEX complaints_status ON complaints (status, created_ms);
CREATE INDEX complaints_team ON complaints (team_id, created_ms);

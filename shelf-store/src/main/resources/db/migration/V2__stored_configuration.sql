-- Providers and models added through the admin API, laid over shelf.yaml. A provider's API key is
-- kept only in `secret`, sealed with AES-256-GCM (see SecretBox); `body` never holds it.
CREATE TABLE config_entries (
  kind       TEXT NOT NULL,
  name       TEXT NOT NULL,
  body       TEXT NOT NULL,
  secret     TEXT,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (kind, name)
);

-- Bumped by every change, polled by every node to reload.
CREATE TABLE config_version (
  id      INTEGER PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

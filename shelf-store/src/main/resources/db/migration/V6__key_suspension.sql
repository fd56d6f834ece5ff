-- A key suspended by the abuse control (repeated content-policy hits) until this time.
ALTER TABLE api_keys ADD COLUMN suspended_until_ms BIGINT;

-- Failed logins, for throttling password guessing (docs/contract.md §3): one row per
-- failure, keyed by username (with role) and by client address; rows older
-- than the window are ignored and swept.
CREATE TABLE login_failures (
  throttle_key TEXT NOT NULL,
  at_ms BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (throttle_key, at_ms);

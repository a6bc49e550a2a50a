-- Each failed login first forgets the failures older than the throttle's
-- window (DELETE ... WHERE at_ms < ...). Without this index that delete read
-- the whole table, so a guessing attack from many addresses made every
-- further failure slower.
CREATE INDEX login_failures_by_time ON login_failures (at_ms);

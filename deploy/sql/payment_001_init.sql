-- Payment service: one decision per transaction id, kept forever so
-- that a retry (even after a restart) gets the first answer.
CREATE TABLE charges (
  transaction_id TEXT PRIMARY KEY,
  approved BIGINT NOT NULL,
  reason TEXT NOT NULL,
  amount_cents BIGINT NOT NULL,
  card_last4 TEXT NOT NULL,   -- never the whole number
  time_ms BIGINT NOT NULL
);

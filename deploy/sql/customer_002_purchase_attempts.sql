-- Durable purchase attempts (the MakePurchase saga, docs/purchases.md): a
-- row is written before any stock is taken or card charged, so recovery can
-- always finish or undo what a crash left behind.
CREATE TABLE purchase_attempts (
  purchase_id TEXT PRIMARY KEY,
  buyer_id BIGINT NOT NULL REFERENCES accounts (id),
  session_id TEXT NOT NULL,
  state BIGINT NOT NULL,           -- 1 pending, 2 completed, 3 failed
  failure_reason TEXT NOT NULL DEFAULT '',
  failure_message TEXT NOT NULL DEFAULT '',
  total_cents BIGINT NOT NULL DEFAULT 0,
  created_ms BIGINT NOT NULL,
  finished_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX purchase_attempts_pending ON purchase_attempts (state, created_ms);
CREATE TABLE purchase_attempt_lines (
  purchase_id TEXT NOT NULL REFERENCES purchase_attempts (purchase_id),
  item_id TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (purchase_id, item_id)
);

-- One schema for both engines: the build replaces the AUTO_ID placeholder with each
-- engine's auto-increment primary key (cmake/MpHelpers.cmake, mp_embed_sql).
-- Customer DB. Times are Unix epoch milliseconds; money is cents.
CREATE TABLE accounts (
  id @AUTO_ID@,
  role BIGINT NOT NULL,            -- mp.v1.Role
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,      -- Argon2id, encoded with salt and cost
  units BIGINT NOT NULL DEFAULT 0, -- items_sold (seller) / items_purchased (buyer)
  UNIQUE (role, username)
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  role BIGINT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES accounts (id),
  created_ms BIGINT NOT NULL,
  last_active_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_last_active ON sessions (last_active_ms);
CREATE TABLE cart_lines (
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  item_id TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (session_id, item_id)
);
CREATE TABLE saved_cart_lines (
  buyer_id BIGINT NOT NULL REFERENCES accounts (id),
  item_id TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (buyer_id, item_id)
);
CREATE TABLE purchase_lines (
  purchase_id TEXT NOT NULL,
  buyer_id BIGINT NOT NULL REFERENCES accounts (id),
  item_id TEXT NOT NULL,
  seller_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  price_cents BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  PRIMARY KEY (purchase_id, item_id)
);
CREATE INDEX purchase_lines_by_buyer ON purchase_lines (buyer_id, item_id);

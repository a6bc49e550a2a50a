-- Customer DB, SQLite. Times are Unix epoch milliseconds; money is cents.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  role INTEGER NOT NULL,            -- mp.v1.Role
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,      -- Argon2id, encoded with salt and cost
  units INTEGER NOT NULL DEFAULT 0, -- items_sold (seller) / items_purchased (buyer)
  UNIQUE (role, username)
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  role INTEGER NOT NULL,
  user_id INTEGER NOT NULL REFERENCES accounts (id),
  created_ms INTEGER NOT NULL,
  last_active_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_last_active ON sessions (last_active_ms);
CREATE TABLE cart_lines (
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  item_id TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (session_id, item_id)
);
CREATE TABLE saved_cart_lines (
  buyer_id INTEGER NOT NULL REFERENCES accounts (id),
  item_id TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (buyer_id, item_id)
);
CREATE TABLE purchase_lines (
  purchase_id TEXT NOT NULL,
  buyer_id INTEGER NOT NULL REFERENCES accounts (id),
  item_id TEXT NOT NULL,
  seller_id INTEGER NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  price_cents INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (purchase_id, item_id)
);
CREATE INDEX purchase_lines_by_buyer ON purchase_lines (buyer_id, item_id);

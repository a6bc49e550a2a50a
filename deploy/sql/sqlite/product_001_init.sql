-- Product DB, SQLite. Money is cents. An item's public id is
-- "<category>-<id>".
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  category INTEGER NOT NULL,
  name TEXT NOT NULL,
  keywords TEXT NOT NULL,           -- lower case, sorted, comma-separated
  item_condition INTEGER NOT NULL,  -- mp.v1.Condition
  price_cents INTEGER NOT NULL CHECK (price_cents > 0),
  quantity INTEGER NOT NULL CHECK (quantity >= 0),
  up INTEGER NOT NULL DEFAULT 0,
  down INTEGER NOT NULL DEFAULT 0,
  seller_id INTEGER NOT NULL
);
CREATE INDEX items_by_seller ON items (seller_id, name);
CREATE INDEX items_for_sale_by_category ON items (category, id) WHERE quantity > 0;
CREATE TABLE item_keywords (
  keyword TEXT NOT NULL,
  category INTEGER NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items (id),
  PRIMARY KEY (keyword, category, item_id)
);
CREATE TABLE votes (
  buyer_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items (id),
  up INTEGER NOT NULL,              -- 1 up, 0 down
  PRIMARY KEY (buyer_id, item_id)
);
CREATE TABLE seller_ratings (
  seller_id INTEGER PRIMARY KEY,
  up INTEGER NOT NULL DEFAULT 0,
  down INTEGER NOT NULL DEFAULT 0
);
-- Units taken for a purchase: 1 taken, 2 released (given back), 3 committed.
CREATE TABLE stock_takes (
  purchase_id TEXT NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items (id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  price_cents INTEGER NOT NULL,
  seller_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  state INTEGER NOT NULL,
  PRIMARY KEY (purchase_id, item_id)
);

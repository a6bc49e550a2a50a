-- One schema for both engines: the build replaces the AUTO_ID placeholder with each
-- engine's auto-increment primary key (cmake/MpHelpers.cmake, mp_embed_sql).
-- Product DB. Money is cents. An item's public id is
-- "<category>-<id>".
CREATE TABLE items (
  id @AUTO_ID@,
  category BIGINT NOT NULL,
  name TEXT NOT NULL,
  keywords TEXT NOT NULL,           -- lower case, sorted, comma-separated
  item_condition BIGINT NOT NULL,  -- mp.v1.Condition
  price_cents BIGINT NOT NULL CHECK (price_cents > 0),
  quantity BIGINT NOT NULL CHECK (quantity >= 0),
  up BIGINT NOT NULL DEFAULT 0,
  down BIGINT NOT NULL DEFAULT 0,
  seller_id BIGINT NOT NULL
);
CREATE INDEX items_by_seller ON items (seller_id, name);
CREATE INDEX items_for_sale_by_category ON items (category, id) WHERE quantity > 0;
CREATE TABLE item_keywords (
  keyword TEXT NOT NULL,
  category BIGINT NOT NULL,
  item_id BIGINT NOT NULL REFERENCES items (id),
  PRIMARY KEY (keyword, category, item_id)
);
CREATE TABLE votes (
  buyer_id BIGINT NOT NULL,
  item_id BIGINT NOT NULL REFERENCES items (id),
  up BIGINT NOT NULL,              -- 1 up, 0 down
  PRIMARY KEY (buyer_id, item_id)
);
CREATE TABLE seller_ratings (
  seller_id BIGINT PRIMARY KEY,
  up BIGINT NOT NULL DEFAULT 0,
  down BIGINT NOT NULL DEFAULT 0
);
-- Units taken for a purchase: 1 taken, 2 released (given back), 3 committed.
CREATE TABLE stock_takes (
  purchase_id TEXT NOT NULL,
  item_id BIGINT NOT NULL REFERENCES items (id),
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  price_cents BIGINT NOT NULL,
  seller_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  state BIGINT NOT NULL,
  PRIMARY KEY (purchase_id, item_id)
);

#!/usr/bin/env bash
# Makes a data directory like `marketplace up --data-dir` leaves it, loaded
# with SQL directly (not through the services): ITEMS items (default 1M)
# with about 1.5 votes each and consistent ratings, PURCHASES completed
# purchases (default 100k) with their lines, counters, stock takes and
# approved charges. For timing `marketplace audit` (docs/purchases.md,
# "Auditing the ledger"):
#   src/audit/load_1m.sh /tmp/audit-1m && time build/bin/marketplace audit --data-dir /tmp/audit-1m
set -euo pipefail
dir=${1:?usage: load_1m.sh DIR [ITEMS] [PURCHASES]}
items=${2:-1000000}
purchases=${3:-100000}
sql=$(cd "$(dirname "$0")/../../deploy/sql" && pwd)
mkdir -p "$dir"
rm -f "$dir"/{customer,product,payment}.db{,-wal,-shm}

schema() {  # service db
  local n=0 f
  for f in "$sql/$1"_*.sql; do
    sed 's/@AUTO_ID@/INTEGER PRIMARY KEY/' "$f"
    n=$((n + 1))
  done
  echo "CREATE TABLE $1_schema_version (version INTEGER NOT NULL);"
  echo "INSERT INTO $1_schema_version VALUES ($n);"
}
for s in customer product payment; do
  { echo "PRAGMA journal_mode=WAL;"; schema "$s"; } | sqlite3 "$dir/$s.db" >/dev/null
done

sqlite3 "$dir/product.db" <<SQL
ATTACH '$dir/customer.db' AS c;
ATTACH '$dir/payment.db' AS p;
PRAGMA foreign_keys=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $items)
INSERT INTO items (id, category, name, keywords, item_condition, price_cents, quantity, seller_id)
SELECT i, 1 + i % 10, 'item ' || i, 'thing', 1, 100 + i % 1000, 50, 1 + i % 1000 FROM n;
-- Item i has votes from buyers 1001 .. 1000 + i % 4; some down.
WITH RECURSIVE b(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM b WHERE k < 3)
INSERT INTO votes (buyer_id, item_id, up)
SELECT 1000 + k, id, CASE WHEN (id + k) % 3 = 0 THEN 0 ELSE 1 END FROM items, b WHERE k <= id % 4;
CREATE TEMP TABLE agg AS
  SELECT item_id, SUM(up) AS u, COUNT(*) - SUM(up) AS d FROM votes GROUP BY item_id;
UPDATE items SET up = agg.u, down = agg.d FROM agg WHERE agg.item_id = items.id;
INSERT INTO seller_ratings (seller_id, up, down)
  SELECT seller_id, SUM(up), SUM(down) FROM items GROUP BY seller_id;
-- Purchase n: one line of 1 + n % 3 units of item 1 + (n * 7919) % items.
CREATE TEMP TABLE buys AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $purchases)
  SELECT 'p' || i AS pid, 1001 + i % 10000 AS buyer, 1 + (i * 7919) % $items AS item,
         1 + i % 3 AS qty FROM n;
INSERT INTO stock_takes (purchase_id, item_id, quantity, price_cents, seller_id, name, state)
  SELECT pid, item, qty, price_cents, seller_id, name, 3 FROM buys JOIN items ON items.id = item;
UPDATE items SET quantity = quantity - (SELECT SUM(quantity) FROM stock_takes t WHERE t.item_id = items.id)
  WHERE id IN (SELECT item_id FROM stock_takes);
INSERT INTO c.purchase_lines (purchase_id, buyer_id, item_id, seller_id, quantity, price_cents, time_ms)
  SELECT pid, buyer, category || '-' || item, seller_id, qty, price_cents, 1700000000000
  FROM buys JOIN items ON items.id = item;
INSERT INTO c.purchase_attempts (purchase_id, buyer_id, session_id, state, total_cents, created_ms, finished_ms)
  SELECT purchase_id, buyer_id, 's', 2, quantity * price_cents, 1700000000000, 1700000001000
  FROM c.purchase_lines;
INSERT INTO p.charges (transaction_id, approved, reason, amount_cents, card_last4, time_ms)
  SELECT purchase_id, 1, 'approved', quantity * price_cents, '1111', 1700000000500 FROM c.purchase_lines;
WITH RECURSIVE a(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM a WHERE i < 11000)
INSERT INTO c.accounts (id, role, username, name, password_hash, units)
  SELECT i, CASE WHEN i <= 1000 THEN 1 ELSE 2 END, 'u' || i, 'U' || i, 'x', 0 FROM a;
CREATE TEMP TABLE sold AS SELECT seller_id AS id, SUM(quantity) AS n FROM c.purchase_lines GROUP BY seller_id
  UNION ALL SELECT buyer_id, SUM(quantity) FROM c.purchase_lines GROUP BY buyer_id;
UPDATE c.accounts SET units = sold.n FROM sold WHERE sold.id = accounts.id;
COMMIT;
SQL

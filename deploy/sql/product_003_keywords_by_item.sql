-- Every change of an item's quantity or votes rewrites its keyword rows
-- (SyncKeywords, WHERE item_id = ...). The primary key starts with the
-- keyword, so without this index each such write scanned the whole table:
-- the mixed workload slowed down as items accumulated.
CREATE INDEX item_keywords_by_item ON item_keywords (item_id);

-- Search reads a page of the ranking, not every match: each keyword row
-- carries what the ranking needs (the item's up - down, and whether it is
-- for sale), kept equal to the item's in the same transaction by every
-- statement that changes them (storage/product_repository.cc, SyncKeywords).
-- A one-keyword search then walks its index in order and stops at the page;
-- several keywords count matches in the index alone, without the items.
ALTER TABLE item_keywords ADD COLUMN net_votes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE item_keywords ADD COLUMN for_sale BIGINT NOT NULL DEFAULT 1;
UPDATE item_keywords SET
  net_votes = (SELECT up - down FROM items WHERE items.id = item_keywords.item_id),
  for_sale = (SELECT CASE WHEN quantity > 0 THEN 1 ELSE 0 END FROM items
              WHERE items.id = item_keywords.item_id);
CREATE INDEX item_keywords_ranked
  ON item_keywords (category, keyword, for_sale, net_votes DESC, item_id);
-- A search without keywords walks the ranking of its category.
DROP INDEX items_for_sale_by_category;
CREATE INDEX items_ranked ON items (category, (up - down) DESC, id) WHERE quantity > 0;

-- A several-keyword search scores every keyword row it reads on the spot:
-- each row carries all of its item's keywords (a copy of items.keywords,
-- which never changes after registration), and the ranked index covers
-- them, so the rows come from the index alone. The search then reads the
-- shortest lists whole and the next one only as far as its page needs
-- (storage/product_search.cc), with no question per item about the
-- words of the other lists.
ALTER TABLE item_keywords ADD COLUMN all_keywords TEXT NOT NULL DEFAULT '';
UPDATE item_keywords SET
  all_keywords = (SELECT keywords FROM items WHERE items.id = item_keywords.item_id);
DROP INDEX item_keywords_ranked;
CREATE INDEX item_keywords_ranked
  ON item_keywords (category, keyword, for_sale, net_votes DESC, item_id, all_keywords);

-- DisplayItemsForSale reads a page of a seller's items by id (LIMIT/OFFSET,
-- and ReadMany's ROW_NUMBER() OVER (PARTITION BY seller_id ORDER BY id)):
-- this index hands them over in that order, without sorting all the
-- seller's items. items_by_seller (seller_id, name) stays for the lookup of
-- an equal item in RegisterItem.
CREATE INDEX items_by_seller_id ON items (seller_id, id);

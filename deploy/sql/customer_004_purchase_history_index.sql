-- Purchase history is read newest first, a page at a time.
CREATE INDEX purchase_lines_by_buyer_time ON purchase_lines (buyer_id, time_ms);

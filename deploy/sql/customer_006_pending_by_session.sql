-- A cart has at most one purchase in flight: BeginPurchase looks up the
-- pending attempt of the session before it starts another. Without this
-- index that look-up read every attempt ever made.
CREATE INDEX purchase_attempts_by_session ON purchase_attempts (session_id, state);

-- An outbox row's created_at is when it was written, not when its transaction began (now()), so
-- the wait it reports (the relay's backlog age, published_at less created_at) is the relay's own,
-- not the length of the transaction that wrote it. published_at is set as the relay marks a row
-- sent, after Kafka acknowledged it (shared/relay.py).
ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT clock_timestamp();

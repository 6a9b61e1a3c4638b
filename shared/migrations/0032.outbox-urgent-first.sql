-- The relay publishes urgent events (those a consumer lane waits for, shared/platform.py) ahead of
-- a backlog, together with the rows of their keys written before them (shared/relay.py). These
-- two indexes find them among the unpublished rows without reading the backlog.
CREATE INDEX outbox_unpublished_by_type ON outbox (event_type, key, position) WHERE published_at IS NULL;
CREATE INDEX outbox_unpublished_by_key ON outbox (key, position) WHERE published_at IS NULL;

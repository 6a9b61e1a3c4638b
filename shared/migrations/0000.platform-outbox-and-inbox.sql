-- The transactional outbox (events waiting for the relay) and the record of handled events
-- (what makes a redelivered event change nothing). Created in each service's own schema.
CREATE TABLE outbox (
    position     bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    topic        text NOT NULL,
    key          text NOT NULL,
    event_type   text NOT NULL,
    envelope     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at IS NULL;

-- Wakes the worker LISTENing on '<prefix>_<schema>' (shared.wakeup) when rows are inserted.
CREATE FUNCTION wake_listeners() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0] || '_' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION wake_listeners('outbox');

CREATE TABLE handled_events (
    event_id   text NOT NULL PRIMARY KEY,
    event_type text NOT NULL,
    topic      text NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now()
);

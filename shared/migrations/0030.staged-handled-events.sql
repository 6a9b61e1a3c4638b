-- A staging table for the consumer runner (shared.db.Staging): a batch's handled event ids are
-- copied in with binary COPY and merged into handled_events by one statement that also empties
-- it, in the same transaction, so no row outlives its transaction (rows of transactions still
-- running are invisible to the others). UNLOGGED: nothing in it survives a commit anyway.
CREATE UNLOGGED TABLE staged_handled_events (
    event_id   text NOT NULL,
    event_type text NOT NULL,
    topic      text NOT NULL
);

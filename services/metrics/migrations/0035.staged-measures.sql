-- A staging table for measures on their way in (shared.db.Staging): a batch is copied in with
-- binary COPY, in the order it arrived (ordinal), and one statement (adapters/measures.py,
-- store_measures) takes it back and, set-based, numbers each month's revisions, skips a figure
-- equal to the month's latest, appends the revisions, sets each month's value and, for a backfill,
-- queues the charts and roll-ups they change. UNLOGGED: nothing in it survives a commit.
CREATE UNLOGGED TABLE staged_measures (
    ordinal        integer NOT NULL,
    kpi_code       text NOT NULL,
    unit_code      text NOT NULL,
    period         date NOT NULL,
    value          double precision NOT NULL,
    numerator      double precision,
    denominator    double precision,
    source         text NOT NULL,
    recorded_by    text,
    note           text,
    event_id       text,
    correlation_id text
);

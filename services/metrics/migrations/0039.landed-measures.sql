-- Measures landed by the consumer from a feed's large batch (a backfill), checked and committed,
-- in the order they arrived (seq), but not yet numbered as revisions: the aggregator worker merges
-- them a chunk at a time (adapters/measures.py, merge_landed), each month's oldest first, with the same
-- set-based statement a batch is stored with, and keeps their event ids in handled_events then,
-- skipping an event already handled (a redelivery). Storing a measure in line (the API, a live
-- batch) first merges the landed measures of its months, so a month's revisions keep the order in
-- which its measures arrived.
--
-- While a backfill is still landing, the worker leaves its measures be for a while (landed_at;
-- service_layer/aggregator.py, merge_landed): the consumers then have the machine to themselves
-- and the topic is emptied first, the safest place for the measures being the database.
--
-- Landing appends and nothing more: no revision lookup, no handled-event record, no lock. The
-- rows are logged like any table (a landed measure is stored: it survives a crash). Their KPIs
-- and units were checked when they landed, and the catalogue never deletes or renames one
-- (0034), so they need no reference check here.
CREATE TABLE landed_measures (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kpi_code       text NOT NULL,
    unit_code      text NOT NULL,
    period         date NOT NULL,
    value          double precision NOT NULL,
    numerator      double precision,
    denominator    double precision,
    source         text NOT NULL,
    recorded_by    text,
    note           text,
    event_id       text NOT NULL,
    topic          text NOT NULL,
    correlation_id text,
    landed_at      timestamptz NOT NULL DEFAULT now()
);

-- Each chart's landed measures in arrival order: the worker merges a chunk of whole charts at a
-- time, sweeping through the charts (so a chart's backfill is merged, and its chart drawn, once,
-- not once for every chunk of months), and a measure stored in line finds the landed measures of
-- its month among its chart's.
CREATE INDEX landed_measures_by_chart ON landed_measures (kpi_code, unit_code, seq);

CREATE TRIGGER measures_landed AFTER INSERT ON landed_measures
    FOR EACH STATEMENT EXECUTE FUNCTION wake_listeners('aggregate');

-- Work for the aggregator worker, written by the measure consumer in the transaction that stores
-- the measures: months of a parent unit to roll up again, and charts to recompute. Rows are only
-- ever added and claimed (deleted), never updated, so a consumer never waits on the worker; the
-- worker claims every row of the series it picks, recomputing each chart once however many rows
-- name it.
CREATE TABLE rollup_queue (
    id        bigserial PRIMARY KEY,
    kpi_code  text NOT NULL,
    unit_code text NOT NULL,
    period    date NOT NULL
);

CREATE TABLE chart_queue (
    id             bigserial PRIMARY KEY,
    kpi_code       text NOT NULL,
    unit_code      text NOT NULL,
    cause          text NOT NULL,
    change         jsonb NOT NULL DEFAULT '{}',
    correlation_id text,
    queued_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX chart_queue_series ON chart_queue (kpi_code, unit_code);

CREATE TRIGGER rollup_queued AFTER INSERT ON rollup_queue
    FOR EACH STATEMENT EXECUTE FUNCTION wake_listeners('aggregate');
CREATE TRIGGER chart_queued AFTER INSERT ON chart_queue
    FOR EACH STATEMENT EXECUTE FUNCTION wake_listeners('aggregate');

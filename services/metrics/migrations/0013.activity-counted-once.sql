-- The programme's activity counts each idea or project once, whichever versions of its event
-- arrive (idea.submitted v1 and v2 tell of one idea): the first event counts it.
CREATE TABLE activity_counted (
    kpi_code   text NOT NULL REFERENCES kpis (code),
    counted_id text NOT NULL,
    event_id   text NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kpi_code, counted_id)
);

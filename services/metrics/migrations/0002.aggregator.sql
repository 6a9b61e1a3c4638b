-- The KPI aggregator: how KPIs roll up, their targets over time, unit lifetimes, the monthly
-- value of every KPI for every unit (measured or rolled up), stored SPC charts, the signals
-- already announced, rebase points and annotations. History is kept, nothing is deleted.
ALTER TABLE kpis ADD COLUMN aggregation text NOT NULL DEFAULT 'mean'
    CHECK (aggregation IN ('mean', 'sum', 'ratio'));
ALTER TABLE kpis ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE kpi_history (
    id         bigserial PRIMARY KEY,
    kpi_code   text NOT NULL REFERENCES kpis (code),
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    before     jsonb,
    after      jsonb NOT NULL
);

CREATE TABLE kpi_targets (
    kpi_code       text NOT NULL REFERENCES kpis (code),
    effective_from date NOT NULL CHECK (extract(day FROM effective_from) = 1),
    target         double precision,
    set_by         text NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kpi_code, effective_from, set_at)
);

ALTER TABLE units ADD COLUMN opened_on date;
ALTER TABLE units ADD COLUMN closed_on date;

CREATE TABLE unit_history (
    id          bigserial PRIMARY KEY,
    unit_code   text NOT NULL REFERENCES units (code),
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    before      jsonb,
    after       jsonb NOT NULL
);

CREATE TABLE kpi_values (
    kpi_code    text NOT NULL REFERENCES kpis (code),
    unit_code   text NOT NULL REFERENCES units (code),
    period      date NOT NULL,
    value       double precision NOT NULL,
    numerator   double precision,
    denominator double precision,
    rolled_up   boolean NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kpi_code, unit_code, period)
);

CREATE TABLE spc_charts (
    kpi_code        text NOT NULL REFERENCES kpis (code),
    unit_code       text NOT NULL REFERENCES units (code),
    first_period    date NOT NULL,
    last_period     date NOT NULL,
    last_value      double precision NOT NULL,
    last_point_type text NOT NULL,
    variation_icon  text NOT NULL,
    assurance_icon  text,
    chart           jsonb NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kpi_code, unit_code)
);

-- Episodes of special cause at the newest point of a chart; the owners were alerted once each.
CREATE TABLE signal_episodes (
    id                 bigserial PRIMARY KEY,
    kpi_code           text NOT NULL,
    unit_code          text NOT NULL,
    point_type         text NOT NULL,
    special_cause_type text NOT NULL,
    started            date NOT NULL,
    last_seen          date NOT NULL,
    detected_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signal_episodes_latest ON signal_episodes (kpi_code, unit_code, id DESC);

CREATE TABLE rebases (
    id           bigserial PRIMARY KEY,
    kpi_code     text NOT NULL REFERENCES kpis (code),
    unit_code    text NOT NULL REFERENCES units (code),
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    reason       text NOT NULL CHECK (length(reason) > 0),
    set_by       text NOT NULL,
    set_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_by text,
    withdrawn_at timestamptz
);
CREATE UNIQUE INDEX rebases_live ON rebases (kpi_code, unit_code, period) WHERE withdrawn_at IS NULL;

CREATE TABLE annotations (
    id         bigserial PRIMARY KEY,
    kpi_code   text NOT NULL REFERENCES kpis (code),
    unit_code  text NOT NULL REFERENCES units (code),
    period     date NOT NULL CHECK (extract(day FROM period) = 1),
    text       text NOT NULL CHECK (length(text) > 0),
    pdsa_ref   text,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE expected_measures (
    kpi_code  text NOT NULL REFERENCES kpis (code),
    unit_code text NOT NULL REFERENCES units (code),
    period    date NOT NULL,
    flagged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kpi_code, unit_code, period)
);

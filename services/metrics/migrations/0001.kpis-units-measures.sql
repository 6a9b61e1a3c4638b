-- KPI catalogue, organisational units and monthly measures with every revision kept.
CREATE TABLE units (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('trust', 'division', 'directorate', 'specialty', 'ward', 'theatre')),
    parent_code text REFERENCES units (code),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kpis (
    code                  text PRIMARY KEY,
    name                  text NOT NULL,
    description           text NOT NULL DEFAULT '',
    unit_of_measure       text NOT NULL,
    improvement_direction text NOT NULL CHECK (improvement_direction IN ('increase', 'decrease', 'neutral')),
    owners                text[] NOT NULL DEFAULT '{}',
    data_source           text NOT NULL DEFAULT '',
    expected_by_day       integer NOT NULL DEFAULT 15 CHECK (expected_by_day BETWEEN 1 AND 28),
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE measures (
    kpi_code    text NOT NULL REFERENCES kpis (code),
    unit_code   text NOT NULL REFERENCES units (code),
    period      date NOT NULL CHECK (extract(day FROM period) = 1),
    revision    integer NOT NULL CHECK (revision >= 1),
    value       double precision NOT NULL,
    numerator   double precision,
    denominator double precision,
    source      text NOT NULL,
    recorded_by text,
    note        text,
    event_id    text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kpi_code, unit_code, period, revision)
);

CREATE VIEW current_measures AS
    SELECT DISTINCT ON (kpi_code, unit_code, period) *
      FROM measures
     ORDER BY kpi_code, unit_code, period, revision DESC;

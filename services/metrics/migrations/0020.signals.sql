-- A signal is a special-cause episode (or a run chart's non-random variation) that people act on:
-- open -> acknowledged -> explained / action_planned -> closed, every step kept in signal_history.
CREATE TABLE signals (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('special_cause', 'run_chart')),
    kpi_code         text NOT NULL REFERENCES kpis (code),
    unit_code        text NOT NULL REFERENCES units (code),
    period           date NOT NULL CHECK (extract(day FROM period) = 1),
    signal_start     date NOT NULL CHECK (extract(day FROM signal_start) = 1),
    point_type       text,
    special_cause_type text,
    value            double precision,
    state            text NOT NULL DEFAULT 'open'
                     CHECK (state IN ('open', 'acknowledged', 'explained', 'action_planned', 'closed')),
    opened_at        timestamptz NOT NULL DEFAULT now(),
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    cause            text,
    pdsa_cycle_id    text,
    project_id       uuid,
    action           text,
    closed_as        text CHECK (closed_as IN ('returned_to_common_cause', 'rebased')),
    close_reason     text,
    rebase_id        bigint REFERENCES rebases (id),
    reminded_at      timestamptz,
    escalated_at     timestamptz,
    source_event_id  text NOT NULL UNIQUE,
    version          integer NOT NULL DEFAULT 1
);
-- The list's one order (newest first) and each of its filters.
CREATE INDEX signals_newest ON signals (id DESC);
CREATE INDEX signals_of_kpi ON signals (kpi_code, id DESC);
CREATE INDEX signals_of_unit ON signals (unit_code, id DESC);
CREATE INDEX signals_in_state ON signals (state, id DESC);
CREATE INDEX signals_of_series ON signals (kpi_code, unit_code, kind, id DESC);
-- At most one run-chart signal of a series is live at a time.
CREATE UNIQUE INDEX signals_one_live_run_chart ON signals (kpi_code, unit_code) WHERE kind = 'run_chart' AND state <> 'closed';
CREATE INDEX signals_waiting ON signals (opened_at) WHERE state = 'open';

CREATE TABLE signal_history (
    id         bigserial PRIMARY KEY,
    signal_id  bigint NOT NULL REFERENCES signals (id),
    from_state text,
    to_state   text NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    note       text,
    details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX signal_history_of_signal ON signal_history (signal_id, id);

-- The projects told of a signal (teams of projects whose measures are the series), once each.
CREATE TABLE signal_projects (
    signal_id  bigint NOT NULL REFERENCES signals (id),
    project_id uuid NOT NULL,
    title      text NOT NULL,
    PRIMARY KEY (project_id, signal_id)
);

-- Metrics' copy of QI projects (from wtgr.projects): title, stage and team, to tell teams of signals.
CREATE TABLE project_copies (
    project_id uuid PRIMARY KEY,
    title      text NOT NULL,
    stage      text NOT NULL,
    team       jsonb NOT NULL DEFAULT '[]',
    completed_on date,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Who leads a unit (a directorate's lead hears of signals nobody acknowledged).
CREATE TABLE unit_leads (
    unit_code  text PRIMARY KEY REFERENCES units (code),
    email      text NOT NULL,
    name       text,
    set_by     text NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now(),
    version    integer NOT NULL DEFAULT 1
);

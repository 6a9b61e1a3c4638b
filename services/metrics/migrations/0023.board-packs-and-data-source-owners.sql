-- Before the board pack. A month's board pack is due by a rule (the Nth working day of the month
-- after); an admin may set a month's date by hand (kept with who set it). Each data source (the
-- KPIs' data_source text) has owners, told of its missing feeds and dead-lettered rows. Each person
-- is told once per board pack (board_pack_notices), so a check run twice tells once.
CREATE TABLE board_pack_dates (
    month       date PRIMARY KEY CHECK (extract(day FROM month) = 1),
    due_on      date NOT NULL CHECK (due_on > month),
    set_by      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_sources (
    name        text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    owners      text[] NOT NULL DEFAULT '{}',
    version     integer NOT NULL DEFAULT 1,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE board_pack_notices (
    month       date NOT NULL,
    recipient   text NOT NULL,
    missing     integer NOT NULL,
    dead_lettered integer NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, recipient)
);

-- The KPIs of a data source (the missing feeds of a month are read per KPI, the owners per source).
CREATE INDEX kpis_by_data_source ON kpis (data_source) WHERE expects_feed;

-- The KPI series metrics has announced a value for (kpi.updated on wtgr.kpis): a linked measure
-- names one of these, so a project cannot measure itself by a KPI or unit that does not exist.
CREATE TABLE known_series (
    kpi_code        text NOT NULL,
    unit_code       text NOT NULL,
    kpi_name        text NOT NULL,
    unit_of_measure text NOT NULL,
    PRIMARY KEY (kpi_code, unit_code)
);

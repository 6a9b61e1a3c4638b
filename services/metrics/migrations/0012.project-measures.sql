-- QI projects measure themselves by series here: an existing KPI and unit, or a project measure
-- created as a KPI of its own (owned by the project lead) from projects' project.measure_linked.
-- Every link is kept; a PDSA cycle's start annotates the charts of its project's series once.
CREATE TABLE project_measures (
    measure_id  uuid PRIMARY KEY,
    project_id  uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('outcome', 'process', 'balancing')),
    name        text NOT NULL,
    kpi_code    text NOT NULL REFERENCES kpis (code),
    unit_code   text NOT NULL REFERENCES units (code),
    created_kpi boolean NOT NULL,
    owner       text,
    event_id    text NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_measures_of_project ON project_measures (project_id);
CREATE INDEX project_measures_of_series ON project_measures (kpi_code, unit_code);

CREATE UNIQUE INDEX annotations_once_per_pdsa_cycle ON annotations (kpi_code, unit_code, pdsa_ref)
    WHERE created_by = 'projects-service';

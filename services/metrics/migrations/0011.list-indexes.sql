-- A KPI's and a unit's edit history are listed oldest first (by id) for one KPI or unit: one index
-- range scan per page, however many edits the catalogue has seen.
CREATE INDEX kpi_history_by_kpi ON kpi_history (kpi_code, id);
CREATE INDEX unit_history_by_unit ON unit_history (unit_code, id);

-- A series (current_measures: the newest revision of each month) reads one KPI's months for one
-- unit in order, newest revision first within a month, straight from this index, with no sort.
CREATE INDEX measures_newest_revision_first ON measures (kpi_code, unit_code, period, revision DESC);

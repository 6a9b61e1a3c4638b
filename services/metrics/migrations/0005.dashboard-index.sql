-- The KPI summary matrix reads every chart of one unit.
CREATE INDEX spc_charts_by_unit ON spc_charts (unit_code, kpi_code);

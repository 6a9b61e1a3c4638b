-- Per KPI, the levels of the organisation where it is measured (a feed or a person records it);
-- every other level is rolled up from the units below and a value posted to it directly is refused.
-- A KPI measured so far keeps the levels of the units it has measured itself; one never measured
-- gets the default (specialties, wards and theatres). The programme's own counts are the trust's.
-- How many decimal places its values are shown with (stored and exported in full), and how its run
-- charts are drawn: a median frozen after the first N months, or a centre line given in advance.
ALTER TABLE kpis ADD COLUMN measured_levels text[] NOT NULL DEFAULT ARRAY['specialty', 'ward', 'theatre']
    CHECK (cardinality(measured_levels) > 0
           AND measured_levels <@ ARRAY['trust', 'division', 'directorate', 'specialty', 'ward', 'theatre']);
ALTER TABLE kpis ADD COLUMN decimal_places integer CHECK (decimal_places BETWEEN 0 AND 6);
ALTER TABLE kpis ADD COLUMN run_freeze integer CHECK (run_freeze >= 1);
ALTER TABLE kpis ADD COLUMN run_centre_line double precision;

UPDATE kpis k SET measured_levels = measured.levels
  FROM (SELECT m.kpi_code, array_agg(DISTINCT u.level ORDER BY u.level) AS levels
          FROM (SELECT DISTINCT kpi_code, unit_code FROM measures) m JOIN units u ON u.code = m.unit_code
         GROUP BY m.kpi_code) measured
 WHERE measured.kpi_code = k.code;
UPDATE kpis SET measured_levels = ARRAY['trust']
 WHERE code IN ('IDEAS_SUBMITTED', 'PROJECTS_COMPLETED', 'STAFF_TRAINED_QI');

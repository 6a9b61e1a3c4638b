-- Only KPIs fed by a data feed can be overdue; the programme's own counts have no deadline.
ALTER TABLE kpis ADD COLUMN expects_feed boolean NOT NULL DEFAULT true;
UPDATE kpis SET expects_feed = false WHERE code IN ('IDEAS_SUBMITTED', 'PROJECTS_COMPLETED', 'STAFF_TRAINED_QI');

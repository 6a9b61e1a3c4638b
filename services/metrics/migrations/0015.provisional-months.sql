-- The newest month of a chart held back as provisional because it has not ended: the chart is
-- recomputed, and the month judged, once it has (the overdue worker queues it).
ALTER TABLE spc_charts ADD COLUMN provisional_through date;
CREATE INDEX spc_charts_provisional ON spc_charts (provisional_through) WHERE provisional_through IS NOT NULL;

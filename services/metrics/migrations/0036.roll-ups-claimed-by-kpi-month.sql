-- The aggregator worker claims roll-ups by KPI and month (every queued row of a KPI's month at
-- once, under a try-lock of its own: adapters/queues.py, claim_rollups), and a chart's wholeness
-- check looks for roll-ups of its months still queued (adapters/measures.py, awaited_units): both
-- find a KPI's month's rows along this index instead of reading the whole queue.
CREATE INDEX rollup_queue_months ON rollup_queue (kpi_code, period);

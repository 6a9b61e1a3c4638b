-- A series too short for process limits (fewer than 13 months) is stored as a run chart: a median
-- and the Anhøj rules, with no point types and no icons. An XmR chart keeps both; a row written
-- without a chart type is an XmR chart, as every chart was before.
ALTER TABLE spc_charts ADD COLUMN chart_type text NOT NULL DEFAULT 'xmr' CHECK (chart_type IN ('xmr', 'run'));
ALTER TABLE spc_charts ALTER COLUMN last_point_type DROP NOT NULL;
ALTER TABLE spc_charts ALTER COLUMN variation_icon DROP NOT NULL;
ALTER TABLE spc_charts ADD CONSTRAINT spc_charts_icons_of_xmr_charts_only CHECK (
    CASE chart_type
        WHEN 'xmr' THEN last_point_type IS NOT NULL AND variation_icon IS NOT NULL
        ELSE last_point_type IS NULL AND variation_icon IS NULL AND assurance_icon IS NULL
    END);

-- The short series charted so far are queued to be drawn again, as run charts, by an aggregator
-- worker of this version (one of an earlier version still running would draw them as XmR again;
-- they then turn into run charts at their next recompute). A "definition" recompute raises no
-- alert and emails no one.
INSERT INTO chart_queue (kpi_code, unit_code, cause)
SELECT kpi_code, unit_code, 'definition' FROM spc_charts WHERE jsonb_array_length(chart -> 'points') < 13;

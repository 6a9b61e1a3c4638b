-- How a KPI's charts are drawn: limits fixed from the first N points of each period (a baseline),
-- and whether moving-range outliers are screened before the limits are computed.
ALTER TABLE kpis ADD COLUMN fix_after_n_points integer CHECK (fix_after_n_points IS NULL OR fix_after_n_points >= 12);
ALTER TABLE kpis ADD COLUMN screen_outliers boolean NOT NULL DEFAULT true;

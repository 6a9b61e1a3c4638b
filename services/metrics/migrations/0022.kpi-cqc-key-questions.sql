-- A KPI serves one or more of the CQC's five key questions (safe, effective, caring, responsive,
-- well-led), as projects do. The catalogue list filtered by one reads along the code order with the
-- key questions in the index, so a page and its capped total filter index entries and never read
-- or sort the whole table.
ALTER TABLE kpis ADD COLUMN cqc text[] NOT NULL DEFAULT '{}'
    CHECK (cqc <@ ARRAY['safe', 'effective', 'caring', 'responsive', 'well-led']::text[]);
CREATE INDEX kpis_by_code_with_cqc ON kpis (code) INCLUDE (cqc);

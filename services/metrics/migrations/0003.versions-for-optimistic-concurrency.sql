-- KPI and unit definitions are edited by several people: a version number backs ETag / If-Match.
ALTER TABLE kpis ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE units ADD COLUMN version integer NOT NULL DEFAULT 1;

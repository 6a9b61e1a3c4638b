-- A version per unit of what its KPI matrix shows (GET /dashboards/units/<unit>/kpis), so the API can
-- serve the matrix from a cache and know with one primary-key lookup whether the cache is current
-- (services/metrics/entrypoints/matrix_cache.py).
--
-- The matrix of unit U shows: U's row in units (name, level); U's stored charts (spc_charts); U's
-- monthly values (kpi_values, the sparklines); and, for every unit, the KPIs' definitions (kpis)
-- and targets (kpi_targets). So the scopes are a unit's code, bumped by any write to that unit's
-- rows of units, spc_charts or kpi_values, and '*', bumped by any write to kpis or kpi_targets (or a
-- TRUNCATE of any of them); a matrix is current while neither its unit's version nor '*' has moved.
--
-- A version is bumped when the transaction that wrote commits, not when it writes: statement-level
-- triggers note the scopes a statement touched in dashboard_changes (under the writing transaction's
-- id, so concurrent writers never wait on each other there), and a deferred constraint trigger on
-- that table turns the transaction's notes into one bump per scope as the transaction commits.
-- Bumping at the write itself would hold the version row locked for the rest of the transaction: two
-- consumers' batches touching the same unit would queue one behind the other, and, locking units in
-- different orders across statements, deadlock. At commit, a transaction locks its scopes' rows in
-- code order in one statement and commits straight after, so the lock is held for the commit alone.
-- The bump and the change become visible together; a rolled-back transaction bumps nothing.

CREATE TABLE dashboard_versions (
    scope   text PRIMARY KEY,            -- a unit's code, or '*': what every unit's matrix shows
    version bigint NOT NULL
);
INSERT INTO dashboard_versions (scope, version) VALUES ('*', 1);

-- Scopes touched by transactions still running; each transaction takes its own back as it commits.
CREATE TABLE dashboard_changes (
    txid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    scope text NOT NULL
);
CREATE INDEX dashboard_changes_by_transaction ON dashboard_changes (txid);

-- Statement-level: notes the scopes of the rows the statement changed (none when it changed no row).
-- TG_ARGV[0] names the column holding the unit's code ('code' in units, 'unit_code' elsewhere), or is
-- '*' for a table every unit's matrix shows.
CREATE FUNCTION note_dashboard_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope text := CASE WHEN TG_ARGV[0] = '*' THEN quote_literal('*') ELSE quote_ident(TG_ARGV[0]) END;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO dashboard_changes (scope) VALUES ('*');
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO dashboard_changes (scope) SELECT DISTINCT %s FROM new_rows', scope);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO dashboard_changes (scope) SELECT DISTINCT %s FROM old_rows', scope);
    ELSE
        EXECUTE format('INSERT INTO dashboard_changes (scope) SELECT %1$s FROM new_rows UNION SELECT %1$s FROM old_rows',
                       scope);
    END IF;
    RETURN NULL;
END
$$;

-- Deferred to the commit: bumps the version of every scope this transaction noted, in scope order
-- (so two committing transactions never wait on each other's rows crosswise), and forgets the notes.
-- It fires once per note; the first firing does the work and the others find nothing left.
CREATE FUNCTION bump_dashboard_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH taken AS (DELETE FROM dashboard_changes WHERE txid = pg_current_xact_id() RETURNING scope)
    INSERT INTO dashboard_versions AS v (scope, version)
    SELECT DISTINCT scope, 1 FROM taken ORDER BY scope
        ON CONFLICT (scope) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER dashboard_change_committed AFTER INSERT ON dashboard_changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_dashboard_versions();

-- The tables the matrix reads, each with the column naming the unit of a row ('*': every unit). A
-- trigger per event, as a trigger with transition tables may have only one. units: codes never change
-- and no unit is deleted (0034), but a delete would be noted all the same.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('kpi_values', 'unit_code'), ('spc_charts', 'unit_code'), ('units', 'code'),
                                   ('kpis', '*'), ('kpi_targets', '*')) AS matrix_reads (name, unit_column)
    LOOP
        EXECUTE format('CREATE TRIGGER %1$s_dashboard_inserted AFTER INSERT ON %1$I REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION note_dashboard_change(%2$L)', t.name, t.unit_column);
        EXECUTE format('CREATE TRIGGER %1$s_dashboard_updated AFTER UPDATE ON %1$I'
                       ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION note_dashboard_change(%2$L)', t.name, t.unit_column);
        EXECUTE format('CREATE TRIGGER %1$s_dashboard_deleted AFTER DELETE ON %1$I REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION note_dashboard_change(%2$L)', t.name, t.unit_column);
        EXECUTE format('CREATE TRIGGER %1$s_dashboard_truncated AFTER TRUNCATE ON %1$I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION note_dashboard_change(%2$L)', t.name, t.unit_column);
    END LOOP;
END
$$;

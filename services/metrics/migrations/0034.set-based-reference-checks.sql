-- Measures and monthly values arrive in batches of thousands (a feed's backfill). A row-by-row
-- foreign key checks each inserted row against kpis and units on its own (a lookup and a row lock
-- per row, per key: about half the cost of storing a measure). Here the same rule is checked once
-- per statement, set-based, over the rows the statement inserted or changed: every KPI and unit
-- they name must exist, else the statement fails as a foreign key would (SQLSTATE 23503).
--
-- The other half of a foreign key, that a referenced KPI or unit cannot disappear or change its
-- code, holds for every KPI and unit: the catalogue keeps its history and deletes nothing, so
-- deleting a KPI or unit, or changing its code, is refused outright.
--
-- measures_newest_revision_first duplicated the primary key's columns in another order, and cost
-- every stored revision a second index entry. It served current_measures, whose DISTINCT ON wanted
-- each month's revisions newest first. The view now keeps a revision when no newer one of its month
-- exists: an anti-join along the primary key, so a series is read in month order (either way) from
-- the primary key alone, with no sort.

CREATE FUNCTION refuse_unknown_kpis_and_units() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT n.kpi_code INTO missing
      FROM (SELECT DISTINCT kpi_code FROM changed_rows) n
     WHERE NOT EXISTS (SELECT 1 FROM kpis k WHERE k.code = n.kpi_code)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates the reference to kpis', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('KPI %L is not in kpis.', missing);
    END IF;
    SELECT n.unit_code INTO missing
      FROM (SELECT DISTINCT unit_code FROM changed_rows) n
     WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.code = n.unit_code)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" violates the reference to units', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('Unit %L is not in units.', missing);
    END IF;
    RETURN NULL;
END
$$;

ALTER TABLE measures DROP CONSTRAINT measures_kpi_code_fkey, DROP CONSTRAINT measures_unit_code_fkey;
CREATE TRIGGER measures_reference_inserted AFTER INSERT ON measures
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION refuse_unknown_kpis_and_units();
CREATE TRIGGER measures_reference_updated AFTER UPDATE ON measures
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION refuse_unknown_kpis_and_units();

ALTER TABLE kpi_values DROP CONSTRAINT kpi_values_kpi_code_fkey, DROP CONSTRAINT kpi_values_unit_code_fkey;
CREATE TRIGGER kpi_values_reference_inserted AFTER INSERT ON kpi_values
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION refuse_unknown_kpis_and_units();
CREATE TRIGGER kpi_values_reference_updated AFTER UPDATE ON kpi_values
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION refuse_unknown_kpis_and_units();

CREATE FUNCTION refuse_to_forget_a_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.code IS DISTINCT FROM OLD.code THEN
        RAISE EXCEPTION '% % keeps its code for ever: the catalogue deletes nothing', TG_TABLE_NAME, OLD.code
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER kpis_keep_their_codes BEFORE DELETE OR UPDATE OF code ON kpis
    FOR EACH ROW EXECUTE FUNCTION refuse_to_forget_a_code();
CREATE TRIGGER units_keep_their_codes BEFORE DELETE OR UPDATE OF code ON units
    FOR EACH ROW EXECUTE FUNCTION refuse_to_forget_a_code();

CREATE OR REPLACE VIEW current_measures AS
    SELECT m.*
      FROM measures m
     WHERE NOT EXISTS (SELECT 1
                         FROM measures newer
                        WHERE newer.kpi_code = m.kpi_code AND newer.unit_code = m.unit_code
                          AND newer.period = m.period AND newer.revision > m.revision);
DROP INDEX measures_newest_revision_first;

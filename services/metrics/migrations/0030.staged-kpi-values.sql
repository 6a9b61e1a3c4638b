-- A staging table for each unit's monthly values (shared.db.Staging): a batch's values are copied
-- in with binary COPY and merged into kpi_values (ON CONFLICT) by one statement that also empties
-- it, in the same transaction. UNLOGGED: nothing in it survives a commit.
CREATE UNLOGGED TABLE staged_kpi_values (
    kpi_code    text NOT NULL,
    unit_code   text NOT NULL,
    period      date NOT NULL,
    value       double precision NOT NULL,
    numerator   double precision,
    denominator double precision
);

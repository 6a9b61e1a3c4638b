-- Where each unit sits in the hierarchy, month by month, so a unit can move from a given month
-- while the months before it keep rolling up under the parent they had. A placement holds from
-- effective_from (the first of a month) until effective_to (exclusive; NULL: still). A unit's
-- first placement starts in 1900, the earliest month a measure can name, so every month has one.
-- units.parent_code stays the parent of the placement that holds now: the current tree.
CREATE TABLE unit_placements (
    unit_code      text NOT NULL REFERENCES units (code),
    parent_code    text REFERENCES units (code),
    effective_from date NOT NULL CHECK (extract(day FROM effective_from) = 1),
    effective_to   date CHECK (effective_to > effective_from AND extract(day FROM effective_to) = 1),
    placed_by      text NOT NULL,
    placed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, effective_from)
);

CREATE UNIQUE INDEX unit_placements_current ON unit_placements (unit_code) WHERE effective_to IS NULL;
CREATE INDEX unit_placements_parent ON unit_placements (parent_code, effective_from);
CREATE INDEX units_parent ON units (parent_code);

INSERT INTO unit_placements (unit_code, parent_code, effective_from, placed_by)
SELECT code, parent_code, DATE '1900-01-01', 'migration' FROM units;

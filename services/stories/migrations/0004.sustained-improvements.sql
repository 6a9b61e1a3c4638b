-- Whether a completed project's improvement held: when it completed and its outcome series (from
-- project.completed), and the first month a signal of concern was seen on a watched measure since
-- (from metrics' signal.opened, which names the completed projects still watched). A story shows
-- "sustained for N months" (the outcome's months charted since completion) or the month it slipped.
CREATE TABLE project_sustainment (
    project_id        uuid PRIMARY KEY,
    completed_on      date NOT NULL,
    kpi_code          text,
    unit_code         text,
    slipped_in        text CHECK (slipped_in ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    slipped_on        text,            -- the measure it slipped on, as people read it ("Falls, Ward 12")
    slipped_signal_id integer
);

-- The WTGR programme measures itself: monthly counts of its own activity, built from the other
-- services' events, for the trust as a whole. Seeded so a fresh installation counts from day one.
INSERT INTO units (code, name, level) VALUES ('TRUST', 'The Trust', 'trust') ON CONFLICT (code) DO NOTHING;

INSERT INTO kpis (code, name, description, unit_of_measure, improvement_direction, data_source, aggregation)
VALUES
    ('IDEAS_SUBMITTED', 'Improvement ideas submitted', 'Ideas submitted to WTGR in the month', 'count',
     'increase', 'ideas service (idea.submitted)', 'sum'),
    ('PROJECTS_COMPLETED', 'QI projects completed', 'QI projects completed in the month', 'count',
     'increase', 'projects service (project.completed)', 'sum'),
    ('STAFF_TRAINED_QI', 'Staff trained in QI', 'Staff who completed WTGR / QI training in the month', 'count',
     'increase', 'training service (measure.recorded)', 'sum')
ON CONFLICT (code) DO NOTHING;

CREATE TABLE activity_counts (
    kpi_code  text NOT NULL REFERENCES kpis (code),
    unit_code text NOT NULL REFERENCES units (code),
    period    date NOT NULL,
    count     integer NOT NULL,
    PRIMARY KEY (kpi_code, unit_code, period)
);

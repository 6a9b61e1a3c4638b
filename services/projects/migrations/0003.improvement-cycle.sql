-- The Model for Improvement: registration with a team, CQC key questions and a measurable aim; the
-- approval gate (submitted -> approved -> active -> completed | stopped); the driver diagram;
-- measures; PDSA cycles planned before they run; progress scores; and the read models of ideas
-- (from wtgr.ideas) and of improvement signals (from wtgr.kpis). Nothing is deleted.

-- Stages: a draft was a project waiting for its go-ahead, which is now "submitted".
ALTER TABLE projects DROP CONSTRAINT projects_stage_check;
ALTER TABLE project_stage_history DROP CONSTRAINT project_stage_history_stage_check;
UPDATE projects SET stage = 'submitted' WHERE stage = 'draft';
UPDATE project_stage_history SET stage = 'submitted' WHERE stage = 'draft';
ALTER TABLE projects ALTER COLUMN stage SET DEFAULT 'submitted',
    ADD CONSTRAINT projects_stage_check
        CHECK (stage IN ('submitted', 'approved', 'active', 'completed', 'stopped'));
ALTER TABLE project_stage_history
    ADD CONSTRAINT project_stage_history_stage_check
        CHECK (stage IN ('submitted', 'approved', 'active', 'completed', 'stopped')),
    ADD COLUMN reason text,  -- why it stopped
    ADD COLUMN note   text;  -- the QI forum's decision on approval

-- What a project is about: where, who, which CQC key questions, and its aim in parts. Projects
-- registered before these columns have an empty directorate and an aim in words only; they cannot
-- be approved until the aim is complete (the domain says so).
ALTER TABLE projects
    ADD COLUMN directorate   text NOT NULL DEFAULT '',
    ADD COLUMN unit_code     text,
    ADD COLUMN team          jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN cqc           text[] NOT NULL DEFAULT '{}',
    ADD COLUMN aim_measure   text,
    ADD COLUMN aim_baseline  double precision,
    ADD COLUMN aim_target    double precision,
    ADD COLUMN aim_by        date,
    ADD COLUMN results       text,
    ADD COLUMN learning      text,
    ADD COLUMN progress_score numeric(2, 1),
    ADD COLUMN diagram_version integer NOT NULL DEFAULT 1 CHECK (diagram_version >= 1),
    ADD COLUMN measure_count integer NOT NULL DEFAULT 0,
    ADD COLUMN searchable    tsvector GENERATED ALWAYS AS (
        to_tsvector('english', title || ' ' || aim || ' ' || directorate)) STORED;

-- One project per idea: a second project from the same idea is refused. Earlier builds allowed
-- several: the first one registered keeps the link, and the later ones are unlinked from it.
UPDATE projects AS later
   SET idea_id = NULL
  FROM projects AS first
 WHERE later.idea_id = first.idea_id
   AND (first.created_at, first.id) < (later.created_at, later.id);
DROP INDEX projects_by_idea;
CREATE UNIQUE INDEX projects_one_per_idea ON projects (idea_id) WHERE idea_id IS NOT NULL;
CREATE INDEX projects_by_directorate ON projects (directorate, created_at DESC, id DESC);

-- The driver diagram: the aim (the project itself) -> primary drivers -> secondary drivers -> change ideas.
CREATE TABLE driver_nodes (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id),
    parent_id  uuid REFERENCES driver_nodes (id),
    kind       text NOT NULL CHECK (kind IN ('primary', 'secondary', 'change_idea')),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    seq        bigserial NOT NULL,  -- siblings in the order they were added
    CHECK ((kind = 'primary') = (parent_id IS NULL))
);
CREATE INDEX driver_nodes_of_project ON driver_nodes (project_id, seq);

-- Measures: a linked KPI and unit, or a project measure metrics creates from project.measure_linked.
CREATE TABLE project_measures (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES projects (id),
    kind            text NOT NULL CHECK (kind IN ('outcome', 'process', 'balancing')),
    name            text NOT NULL,
    kpi_code        text NOT NULL,
    unit_code       text NOT NULL,
    created         boolean NOT NULL,
    unit_of_measure text,
    direction       text CHECK (direction IN ('higher_is_better', 'lower_is_better')),
    description     text,
    linked_by       text NOT NULL,
    linked_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, kpi_code, unit_code)
);
CREATE UNIQUE INDEX one_outcome_measure ON project_measures (project_id) WHERE kind = 'outcome';
CREATE INDEX project_measures_in_order ON project_measures (project_id, linked_at, id);

-- PDSA cycles are planned before they run: planned -> running -> completed. Cycles logged after the
-- fact before this migration keep their texts and read as completed, with no change idea.
ALTER TABLE pdsa_cycles
    ALTER COLUMN plan DROP NOT NULL,
    ALTER COLUMN "do" DROP NOT NULL,
    ALTER COLUMN study DROP NOT NULL,
    ALTER COLUMN act DROP NOT NULL,
    ALTER COLUMN started_on DROP NOT NULL,
    ALTER COLUMN ended_on DROP NOT NULL,
    ADD COLUMN status          text NOT NULL DEFAULT 'completed'
        CHECK (status IN ('planned', 'running', 'completed')),
    ADD COLUMN change_idea_id  uuid REFERENCES driver_nodes (id),
    ADD COLUMN title           text,
    ADD COLUMN question        text,
    ADD COLUMN prediction      text,
    ADD COLUMN who             text,
    ADD COLUMN "where"         text,
    ADD COLUMN planned_start   date,
    ADD COLUMN months          text[] NOT NULL DEFAULT '{}',  -- the chart's months studied, YYYY-MM
    ADD COLUMN decision        text CHECK (decision IN ('adopt', 'adapt', 'abandon')),
    ADD COLUMN follows_cycle_id uuid REFERENCES pdsa_cycles (id),
    ADD COLUMN version         integer NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE pdsa_cycles ALTER COLUMN status SET DEFAULT 'planned';
CREATE INDEX pdsa_cycles_of_change_idea ON pdsa_cycles (change_idea_id) WHERE change_idea_id IS NOT NULL;

-- Progress scores on the IHI 0.5-5.0 scale: each confirmation with the suggestion it was shown.
CREATE TABLE progress_scores (
    project_id   uuid NOT NULL REFERENCES projects (id),
    number       integer NOT NULL CHECK (number >= 1),
    score        numeric(2, 1) NOT NULL CHECK (score BETWEEN 0.5 AND 5.0 AND score * 2 = round(score * 2)),
    suggested    numeric(2, 1) NOT NULL,
    note         text,
    confirmed_by text NOT NULL,
    confirmed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, number)
);

-- The projects service's own copy of ideas, from wtgr.ideas: enough to check that a project names
-- an idea that exists and was accepted, and to tell its submitter and followers at completion.
CREATE TABLE idea_copies (
    idea_id    uuid PRIMARY KEY,
    title      text NOT NULL,
    stage      text NOT NULL,
    audience   jsonb NOT NULL DEFAULT '[]',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Improvement signals seen on KPI series, from kpi.special_cause_detected on wtgr.kpis.
CREATE TABLE improvement_signals (
    kpi_code     text NOT NULL,
    unit_code    text NOT NULL,
    signal_start date NOT NULL,  -- first day of the signal's first month
    latest       date NOT NULL,  -- first day of the newest month the signal was seen in
    PRIMARY KEY (kpi_code, unit_code, signal_start)
);

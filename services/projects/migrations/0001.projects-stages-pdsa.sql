-- QI projects, every stage they have been in, and their PDSA cycles. Nothing is deleted.
CREATE TABLE projects (
    id         uuid PRIMARY KEY,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    aim        text NOT NULL DEFAULT '',
    idea_id    uuid,
    stage      text NOT NULL DEFAULT 'draft' CHECK (stage IN ('draft', 'active', 'completed')),
    version    integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_by_stage ON projects (stage, created_at DESC);
CREATE INDEX projects_by_idea ON projects (idea_id) WHERE idea_id IS NOT NULL;

-- One row per stage a project has been in; projects.stage is the latest of these, kept for filtering.
CREATE TABLE project_stage_history (
    project_id uuid NOT NULL REFERENCES projects (id),
    version    integer NOT NULL CHECK (version >= 1),
    stage      text NOT NULL CHECK (stage IN ('draft', 'active', 'completed')),
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, version)
);

CREATE TABLE pdsa_cycles (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id),
    cycle_number integer NOT NULL CHECK (cycle_number >= 1),
    plan         text NOT NULL,
    "do"         text NOT NULL,  -- quoted: DO is an SQL keyword
    study        text NOT NULL,
    act          text NOT NULL,
    started_on   date NOT NULL,
    ended_on     date NOT NULL CHECK (ended_on >= started_on),
    logged_by    text NOT NULL,
    logged_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, cycle_number)
);

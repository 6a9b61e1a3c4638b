-- Improvement ideas, every status they have had, and the projects that came of them. Nothing is deleted.
CREATE TABLE ideas (
    id           uuid PRIMARY KEY,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description  text NOT NULL,
    submitted_by text NOT NULL,
    status       text NOT NULL DEFAULT 'submitted'
                 CHECK (status IN ('submitted', 'under_review', 'accepted', 'declined')),
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    submitted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ideas_by_status ON ideas (status, submitted_at DESC);

-- One row per status an idea has been in; ideas.status is the latest of these, kept for filtering.
CREATE TABLE idea_status_history (
    idea_id    uuid NOT NULL REFERENCES ideas (id),
    version    integer NOT NULL CHECK (version >= 1),
    status     text NOT NULL CHECK (status IN ('submitted', 'under_review', 'accepted', 'declined')),
    changed_by text NOT NULL,
    reason     text,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (idea_id, version)
);

-- Projects (owned by the projects service) that name the idea they came from, learnt from project.created.
CREATE TABLE idea_projects (
    idea_id    uuid NOT NULL REFERENCES ideas (id),
    project_id uuid NOT NULL,
    title      text NOT NULL,
    linked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (idea_id, project_id)
);

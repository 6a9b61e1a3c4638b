-- Success stories, the tools library, and what the stories service learns from other services'
-- events (its read models). Nothing a reader may ask for again is deleted.

CREATE TABLE stories (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary      text NOT NULL CHECK (length(summary) <= 4000),
    body         text NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
    learning     text NOT NULL DEFAULT '' CHECK (length(learning) <= 10000),
    team         jsonb NOT NULL DEFAULT '[]',        -- [{name, role}]: who did it, as the story credits them
    tags         text[] NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
    origin       text NOT NULL CHECK (origin IN ('project', 'by_hand')),
    project_id   uuid UNIQUE,                        -- one story per completed project
    idea_id      uuid,
    chart        jsonb,                              -- the before/after figures as a table
    chart_svg    text,                               -- and drawn, when the project had an outcome measure
    audience     jsonb NOT NULL DEFAULT '[]',        -- who story.published tells (from project.completed)
    editors      jsonb NOT NULL DEFAULT '[]',        -- who story.drafted tells (the project's lead)
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_by text,
    published_at timestamptz,
    CHECK ((state = 'published') = (published_at IS NOT NULL))
);
-- The editors' list (newest first, optionally one state), and lineage lookups.
CREATE INDEX stories_newest_first ON stories (created_at DESC, id DESC);
CREATE INDEX stories_by_state ON stories (state, created_at DESC, id DESC);
CREATE INDEX stories_of_idea ON stories (idea_id, created_at DESC, id DESC);
CREATE INDEX stories_of_idea_by_state ON stories (idea_id, state, created_at DESC, id DESC);

-- The readers' list: published stories newest first, all of them (tag '') and by each tag. Kept by
-- the service whenever a story is published or a published story's tags change, so every page is
-- one index range scan.
CREATE TABLE story_tags (
    tag          text NOT NULL,
    story_id     uuid NOT NULL REFERENCES stories (id),
    published_at timestamptz NOT NULL,
    PRIMARY KEY (tag, story_id)
);
CREATE INDEX story_tags_newest_first ON story_tags (tag, published_at DESC, story_id DESC);

-- The tools library. A resource holds a link or a file (kept here, bounded in size).
CREATE TABLE resources (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary      text NOT NULL CHECK (length(summary) <= 4000),
    body         text NOT NULL DEFAULT '' CHECK (length(body) <= 50000),  -- a guide's own text, as Markdown
    kind         text NOT NULL CHECK (kind IN ('template', 'guide', 'video_link', 'course')),
    tags         text[] NOT NULL DEFAULT '{}',
    link         text,
    file_name    text,                               -- the uploaded file's description; its bytes
    content_type text,                               -- are in resource_files
    size_bytes   integer CHECK (size_bytes > 0),
    sha256       text,
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- By title (A to Z), alone and by kind; by tag through resource_tags, which carries the title.
CREATE INDEX resources_by_title ON resources (title, id);
CREATE INDEX resources_by_kind ON resources (kind, title, id);
CREATE TABLE resource_tags (
    tag         text NOT NULL,
    resource_id uuid NOT NULL REFERENCES resources (id),
    kind        text NOT NULL,
    title       text NOT NULL,
    PRIMARY KEY (tag, resource_id)
);
CREATE INDEX resource_tags_by_title ON resource_tags (tag, title, resource_id);
CREATE INDEX resource_tags_by_kind ON resource_tags (tag, kind, title, resource_id);

-- A resource's file: one per resource, replaced by a new upload.
CREATE TABLE resource_files (
    resource_id  uuid PRIMARY KEY REFERENCES resources (id),
    content      bytea NOT NULL,
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now()
);

-- Read model: the monthly values of every KPI series (latest revision), from kpi.updated on wtgr.kpis.
CREATE TABLE kpi_series (
    kpi_code  text NOT NULL,
    unit_code text NOT NULL,
    period    text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    value     double precision NOT NULL,
    revision  integer NOT NULL,
    PRIMARY KEY (kpi_code, unit_code, period)
);
CREATE TABLE kpi_names (
    kpi_code        text NOT NULL,
    unit_code       text NOT NULL,
    kpi_name        text NOT NULL,
    unit_name       text NOT NULL,
    unit_of_measure text NOT NULL,
    PRIMARY KEY (kpi_code, unit_code)
);

-- Read model: the month each project started (became active), from wtgr.projects, to split before/after.
CREATE TABLE project_starts (
    project_id uuid PRIMARY KEY,
    started    text NOT NULL CHECK (started ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);

-- The readers' pages: one row per (tag, published story); the story's id is story_tags' own, so
-- the keyset and order run on story_tags_newest_first and each row joins its story by primary key.
CREATE VIEW published_story_pages AS
SELECT t.tag, t.published_at, t.story_id AS id, s.slug, s.title, s.summary, s.tags, s.project_id, s.idea_id,
       s.version, s.created_at
  FROM story_tags t JOIN stories s ON s.id = t.story_id;

CREATE VIEW tagged_resource_pages AS
SELECT t.tag, t.kind, t.title, t.resource_id AS id, r.slug, r.summary, r.tags, r.link,
       r.file_name, r.content_type, r.size_bytes, r.version, r.created_at
  FROM resource_tags t JOIN resources r ON r.id = t.resource_id;

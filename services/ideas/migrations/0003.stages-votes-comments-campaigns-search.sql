-- Ideas from everyone (staff, anonymous staff, the public), their stages, campaigns and categories,
-- votes, comments and followers, and the read model of projects and stories the similar-ideas
-- search looks in. Nothing is deleted: a withdrawn vote or an unfollow removes the person's own row
-- only; hidden comments stay, with who hid them and why.

-- pg_trgm is installed by the database admin at setup (devstack/postgres.py, deploy/postgres/init.sql,
-- deploy/k8s/base/postgres.yaml) in the schema `extensions`; this is a no-op then, and says clearly
-- what is missing otherwise.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;

CREATE TABLE categories (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);
INSERT INTO categories (code, name) VALUES
    ('patient-safety', 'Patient safety'),
    ('patient-experience', 'Patient experience'),
    ('staff-wellbeing', 'Staff wellbeing'),
    ('flow', 'Patient flow and waiting'),
    ('efficiency', 'Efficiency and waste'),
    ('environment', 'Environment and sustainability'),
    ('digital', 'Digital and data');

CREATE TABLE campaigns (
    id          uuid PRIMARY KEY,
    theme       text NOT NULL CHECK (length(theme) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    sponsor     text NOT NULL CHECK (length(sponsor) BETWEEN 1 AND 200),
    directorate text,  -- null: trust-wide
    opens_on    date NOT NULL,
    closes_on   date NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (closes_on >= opens_on)
);
CREATE INDEX campaigns_newest_first ON campaigns (opens_on DESC, id DESC);

-- status becomes stage, with the stages an idea now has.
ALTER TABLE ideas RENAME COLUMN status TO stage;
ALTER TABLE ideas DROP CONSTRAINT ideas_status_check;
ALTER TABLE ideas ADD CONSTRAINT ideas_stage_check CHECK (stage IN (
    'moderation', 'submitted', 'under_review', 'accepted', 'declined', 'merged', 'in_progress', 'implemented'));
ALTER TABLE idea_status_history RENAME COLUMN status TO stage;
ALTER TABLE idea_status_history DROP CONSTRAINT idea_status_history_status_check;
ALTER TABLE idea_status_history ADD CONSTRAINT idea_status_history_stage_check CHECK (stage IN (
    'moderation', 'submitted', 'under_review', 'accepted', 'declined', 'merged', 'in_progress', 'implemented'));
ALTER TABLE idea_status_history RENAME TO idea_stage_history;

-- submitted_by: the staff member's subject for channel staff; null for anonymous and public ideas
-- (an anonymous submitter's identity is stored nowhere; the follow token's hash is all there is).
ALTER TABLE ideas ALTER COLUMN submitted_by DROP NOT NULL;
UPDATE ideas SET submitted_by = NULL WHERE submitted_by = '';
ALTER TABLE ideas
    ADD COLUMN channel text NOT NULL DEFAULT 'staff' CHECK (channel IN ('staff', 'anonymous', 'public')),
    ADD COLUMN submitter_email text,  -- staff: the token's email; used for notifications only
    ADD COLUMN visible_to text NOT NULL DEFAULT 'staff' CHECK (visible_to IN ('staff', 'moderators')),
    ADD COLUMN campaign_id uuid REFERENCES campaigns (id),
    ADD COLUMN category text REFERENCES categories (code),
    ADD COLUMN directorate text,
    ADD COLUMN merged_into uuid REFERENCES ideas (id),
    ADD COLUMN vote_count integer NOT NULL DEFAULT 0 CHECK (vote_count >= 0),
    ADD COLUMN follow_token_hash text UNIQUE,
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')) STORED;

-- A public submitter's name and contact, given with explicit consent; read by moderators only
-- (each read is in the audit trail).
CREATE TABLE idea_contacts (
    idea_id     uuid PRIMARY KEY REFERENCES ideas (id),
    name        text,
    email       text,
    phone       text,
    consent     boolean NOT NULL,
    given_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (consent OR (name IS NULL AND email IS NULL AND phone IS NULL))
);

CREATE TABLE idea_votes (
    idea_id  uuid NOT NULL REFERENCES ideas (id),
    voter    text NOT NULL,
    voted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (idea_id, voter)
);

CREATE TABLE idea_followers (
    idea_id     uuid NOT NULL REFERENCES ideas (id),
    follower    text NOT NULL,
    email       text,
    followed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (idea_id, follower)
);

CREATE TABLE idea_comments (
    id            uuid PRIMARY KEY,
    idea_id       uuid NOT NULL REFERENCES ideas (id),
    author        text NOT NULL,
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    edited_at     timestamptz,
    hidden_at     timestamptz,
    hidden_by     text,
    hidden_reason text,
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL))
);
CREATE INDEX idea_comments_oldest_first ON idea_comments (idea_id, created_at, id);

-- The read model of other services' work, fed by their events, for "has someone already done this?".
CREATE TABLE known_projects (
    project_id  uuid PRIMARY KEY,
    title       text NOT NULL,
    summary     text NOT NULL DEFAULT '',
    idea_id     uuid,
    directorate text,
    stage       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', summary), 'B')) STORED
);
CREATE TABLE known_stories (
    story_id     uuid PRIMARY KEY,
    slug         text NOT NULL,
    title        text NOT NULL,
    summary      text NOT NULL DEFAULT '',
    project_id   uuid,
    idea_id      uuid,
    published_at timestamptz NOT NULL DEFAULT now(),
    search       tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', summary), 'B')) STORED
);

-- Search: words (GIN over the tsvector) and similar titles (trigram GIN).
CREATE INDEX ideas_search ON ideas USING gin (search);
CREATE INDEX ideas_title_trigrams ON ideas USING gin (title extensions.gin_trgm_ops);
CREATE INDEX known_projects_search ON known_projects USING gin (search);
CREATE INDEX known_projects_title_trigrams ON known_projects USING gin (title extensions.gin_trgm_ops);
CREATE INDEX known_stories_search ON known_stories USING gin (search);
CREATE INDEX known_stories_title_trigrams ON known_stories USING gin (title extensions.gin_trgm_ops);

-- The lists: newest first and most votes first, alone and after each filter.
DROP INDEX ideas_by_status;
CREATE INDEX ideas_by_stage ON ideas (stage, submitted_at DESC, id DESC);
CREATE INDEX ideas_by_visibility ON ideas (visible_to, submitted_at DESC, id DESC);
CREATE INDEX ideas_by_campaign ON ideas (campaign_id, submitted_at DESC, id DESC);
CREATE INDEX ideas_by_directorate ON ideas (directorate, submitted_at DESC, id DESC);
CREATE INDEX ideas_by_category ON ideas (category, submitted_at DESC, id DESC);
CREATE INDEX ideas_most_votes ON ideas (vote_count DESC, submitted_at DESC, id DESC);
CREATE INDEX ideas_most_votes_by_stage ON ideas (stage, vote_count DESC, submitted_at DESC, id DESC);
CREATE INDEX ideas_most_votes_by_visibility ON ideas (visible_to, vote_count DESC, submitted_at DESC, id DESC);
CREATE INDEX ideas_most_votes_by_campaign ON ideas (campaign_id, vote_count DESC, submitted_at DESC, id DESC);
CREATE INDEX ideas_most_votes_by_directorate ON ideas (directorate, vote_count DESC, submitted_at DESC, id DESC);
CREATE INDEX ideas_most_votes_by_category ON ideas (category, vote_count DESC, submitted_at DESC, id DESC);

-- Words in stories and the tools library (PostgreSQL full-text search, English stemming): the
-- lists take `q` and narrow their walk along their own index with it (docs/api-lists.md).

ALTER TABLE stories
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', summary), 'B') ||
        setweight(to_tsvector('english', body || ' ' || learning), 'C')) STORED;
ALTER TABLE resources
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', summary), 'B') ||
        setweight(to_tsvector('english', body), 'C')) STORED;
CREATE INDEX stories_search ON stories USING gin (search);
CREATE INDEX resources_search ON resources USING gin (search);

-- The readers' pages carry the words too (new columns go last in a replaced view).
CREATE OR REPLACE VIEW published_story_pages AS
SELECT t.tag, t.published_at, t.story_id AS id, s.slug, s.title, s.summary, s.tags, s.project_id, s.idea_id,
       s.version, s.created_at, s.search
  FROM story_tags t JOIN stories s ON s.id = t.story_id;

CREATE OR REPLACE VIEW tagged_resource_pages AS
SELECT t.tag, t.kind, t.title, t.resource_id AS id, r.slug, r.summary, r.tags, r.link,
       r.file_name, r.content_type, r.size_bytes, r.version, r.created_at, r.search
  FROM resource_tags t JOIN resources r ON r.id = t.resource_id;

-- The projects list's one sort, newest first with the id as tie-break, indexed alone and after its
-- stage filter, so every page is one index range scan however many projects there are.
CREATE INDEX projects_newest_first ON projects (created_at DESC, id DESC);
DROP INDEX projects_by_stage;
CREATE INDEX projects_by_stage ON projects (stage, created_at DESC, id DESC);

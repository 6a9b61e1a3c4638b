-- The ideas list's one sort, newest first with the id as tie-break, indexed alone and after its
-- status filter, so every page is one index range scan however many ideas there are.
CREATE INDEX ideas_newest_first ON ideas (submitted_at DESC, id DESC);
DROP INDEX ideas_by_status;
CREATE INDEX ideas_by_status ON ideas (status, submitted_at DESC, id DESC);

-- The email log grows every day: its one sort, newest first with the id as tie-break, is indexed
-- alone and after its status filter, so a page costs the same however long the log is.
CREATE INDEX emails_newest_first ON emails (created_at DESC, id DESC);
CREATE INDEX emails_by_status ON emails (status, created_at DESC, id DESC);

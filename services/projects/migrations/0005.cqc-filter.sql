-- The projects list filtered by a CQC key question (cqc holds one or more of five): read along the
-- newest-first order with the key questions in the index, so a page and its capped total filter
-- index entries (an index-only scan for the total) and never read or sort the whole table.
CREATE INDEX projects_newest_first_with_cqc ON projects (created_at DESC, id DESC) INCLUDE (cqc);

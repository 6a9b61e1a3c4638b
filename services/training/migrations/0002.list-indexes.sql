-- A course's sessions are listed soonest first with the id as tie-break: one index range scan per page.
DROP INDEX sessions_by_course;
CREATE INDEX sessions_by_course ON sessions (course_code, starts_at, id);

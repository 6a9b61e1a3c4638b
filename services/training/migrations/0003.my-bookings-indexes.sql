-- A learner's own bookings and attendance, newest first: one index range scan per page.
CREATE INDEX enrolments_by_user ON enrolments (user_id, enrolled_at, id);
CREATE INDEX attendance_by_user ON attendance (user_id, marked_at, session_id);

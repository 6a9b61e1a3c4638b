-- The whole WTGR programme: levels, a fuller catalogue, sessions that can move or be cancelled,
-- bookings that can be cancelled (and made on someone's behalf), certificates, reminders sent, and
-- the staff-trained counts published for months that are over. Nothing is deleted.

-- Levels are configurable rows; rank orders them (a higher rank is further along).
CREATE TABLE levels (
    code       text PRIMARY KEY,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    rank       integer NOT NULL UNIQUE CHECK (rank >= 1),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO levels (code, title, rank) VALUES
    ('INTRODUCTORY', 'Introductory', 1),
    ('PRACTITIONER', 'Practitioner', 2),
    ('LEADER', 'Leader', 3);

ALTER TABLE courses
    ADD COLUMN level_code        text NOT NULL DEFAULT 'INTRODUCTORY' REFERENCES levels (code),
    ADD COLUMN learning_outcomes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN prerequisite_code text REFERENCES courses (code),
    ADD COLUMN duration_minutes  integer NOT NULL DEFAULT 180 CHECK (duration_minutes BETWEEN 15 AND 2880),
    ADD COLUMN audience          text NOT NULL DEFAULT 'staff' CHECK (audience IN ('staff', 'everyone')),
    ADD CONSTRAINT courses_not_own_prerequisite CHECK (prerequisite_code IS DISTINCT FROM code);

ALTER TABLE sessions
    ADD COLUMN online_url    text NOT NULL DEFAULT '',
    ADD COLUMN trainers      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    ADD COLUMN cancel_reason text NOT NULL DEFAULT '',
    ADD COLUMN version       integer NOT NULL DEFAULT 1;
UPDATE sessions SET trainers = ARRAY[trainer];

-- A booking may be cancelled (and booked again: the row comes back); who made it, and the learner's
-- name, email and directorate as given when it was made (for emails, certificates and the KPI).
ALTER TABLE enrolments DROP CONSTRAINT enrolments_status_check;
ALTER TABLE enrolments
    ADD CONSTRAINT enrolments_status_check CHECK (status IN ('enrolled', 'waitlisted', 'cancelled')),
    ADD COLUMN booked_by    text,
    ADD COLUMN name         text,
    ADD COLUMN email        text,
    ADD COLUMN directorate  text,
    ADD COLUMN cancelled_at timestamptz;
UPDATE enrolments SET booked_by = user_id;
ALTER TABLE enrolments ALTER COLUMN booked_by SET NOT NULL;
-- A session's bookings in the order they were made (the register, the waitlist).
CREATE INDEX enrolments_by_session ON enrolments (session_id, enrolled_at, id);

-- One certificate per completed course attendance; ``code`` is what anyone can check.
CREATE TABLE certificates (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$'),
    session_id   uuid NOT NULL,
    user_id      text NOT NULL,
    name         text NOT NULL,
    course_code  text NOT NULL REFERENCES courses (code),
    course_title text NOT NULL,
    level_title  text NOT NULL,
    completed_on date NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, user_id),
    FOREIGN KEY (session_id, user_id) REFERENCES attendance (session_id, user_id)
);
CREATE INDEX certificates_by_user ON certificates (user_id, issued_at, code);

-- Each reminder (7 days, 1 day) is sent once per booking and start time: a moved session reminds again.
CREATE TABLE reminders_sent (
    enrolment_id uuid NOT NULL REFERENCES enrolments (id),
    kind         text NOT NULL CHECK (kind IN ('7d', '1d')),
    starts_at    timestamptz NOT NULL,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrolment_id, kind, starts_at)
);

-- The staff trained in a month that is over, as last published per unit (the trust or a directorate):
-- a month is published once it ends, and again only if a late register changes its count.
CREATE TABLE published_counts (
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    unit_code    text NOT NULL,
    staff        integer NOT NULL CHECK (staff >= 0),
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, unit_code)
);
CREATE INDEX attendance_by_period ON attendance (period);

-- The person's highest QI level reached, so a rise is announced once.
CREATE TABLE qi_levels (
    user_id    text PRIMARY KEY,
    level_code text NOT NULL REFERENCES levels (code),
    reached_at timestamptz NOT NULL DEFAULT now()
);

-- The running count of migration 0001 fed a measure for the current month; months are now
-- published once over (published_counts).
DROP TABLE monthly_completions;

-- Courses, their sessions, bookings (places and waitlist), attendance, and completions per month.
-- Nothing is deleted.
CREATE TABLE courses (
    code        text PRIMARY KEY,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    id          uuid PRIMARY KEY,
    course_code text NOT NULL REFERENCES courses (code),
    starts_at   timestamptz NOT NULL,
    capacity    integer NOT NULL CHECK (capacity >= 1),
    location    text NOT NULL DEFAULT '',
    trainer     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_by_course ON sessions (course_code, starts_at);

CREATE TABLE enrolments (
    id          uuid PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id),
    user_id     text NOT NULL,
    status      text NOT NULL CHECK (status IN ('enrolled', 'waitlisted')),
    position    integer CHECK ((status = 'waitlisted') = (position IS NOT NULL)),
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, user_id)
);

CREATE TABLE attendance (
    session_id uuid NOT NULL,
    user_id    text NOT NULL,
    period     date NOT NULL CHECK (extract(day FROM period) = 1),
    marked_by  text NOT NULL,
    marked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, user_id),
    FOREIGN KEY (session_id, user_id) REFERENCES enrolments (session_id, user_id)
);

-- The running count behind the STAFF_TRAINED_QI measure; its row lock also orders concurrent completions.
CREATE TABLE monthly_completions (
    period      date PRIMARY KEY CHECK (extract(day FROM period) = 1),
    completions integer NOT NULL CHECK (completions >= 0)
);

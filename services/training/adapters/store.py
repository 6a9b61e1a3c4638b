"""SQL for the training schema. Functions take a unit of work and return rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.db import UnitOfWork
from shared.pagination import Listing

Row = dict[str, Any]

LEVEL_COLUMNS = "code, title, rank, created_at"
COURSE_COLUMNS = ("code, title, description, level_code, learning_outcomes, prerequisite_code, duration_minutes,"
                  " audience, created_by, created_at")
SESSION_COLUMNS = ("id, course_code, starts_at, capacity, location, online_url, trainer, trainers, status,"
                   " cancel_reason, version, created_at")
# A session as read: its columns, the places not yet taken by a confirmed learner, and the waitlist's length.
SESSION_READ_COLUMNS = (
    SESSION_COLUMNS
    + ", capacity - (SELECT count(*) FROM enrolments e WHERE e.session_id = sessions.id"
      " AND e.status = 'enrolled')::int AS places_left"
    + ", (SELECT count(*) FROM enrolments e WHERE e.session_id = sessions.id"
      " AND e.status = 'waitlisted')::int AS waitlisted")
ENROLMENT_COLUMNS = "id, session_id, user_id, status, position, enrolled_at, booked_by, name, email, directorate"
ATTENDANCE_COLUMNS = "session_id, user_id, period, marked_by, marked_at"
CERTIFICATE_COLUMNS = ("code, session_id, user_id, name, course_code, course_title, level_title, completed_on,"
                       " issued_at")
# A booking on the register: whether its learner was marked attended, and their certificate.
REGISTER_COLUMNS = (
    ENROLMENT_COLUMNS
    + ", EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = enrolments.session_id"
      " AND a.user_id = enrolments.user_id) AS attended"
    + ", (SELECT c.code FROM certificates c WHERE c.session_id = enrolments.session_id"
      " AND c.user_id = enrolments.user_id) AS certificate_code")
# A line of a person's training record: the booking with its session, course, attendance and certificate.
RECORD_COLUMNS = (
    REGISTER_COLUMNS
    + ", (SELECT s.course_code FROM sessions s WHERE s.id = enrolments.session_id) AS course_code"
    + ", (SELECT c.title FROM sessions s JOIN courses c ON c.code = s.course_code"
      " WHERE s.id = enrolments.session_id) AS course_title"
    + ", (SELECT l.title FROM sessions s JOIN courses c ON c.code = s.course_code JOIN levels l"
      " ON l.code = c.level_code WHERE s.id = enrolments.session_id) AS level_title"
    + ", (SELECT s.starts_at FROM sessions s WHERE s.id = enrolments.session_id) AS starts_at"
    + ", (SELECT s.status FROM sessions s WHERE s.id = enrolments.session_id) AS session_status"
    + ", (SELECT s.cancel_reason FROM sessions s WHERE s.id = enrolments.session_id) AS session_cancel_reason"
    # only a move or a cancellation raises a session's version, so a scheduled one past version 1 has moved
    + ", (SELECT s.version > 1 AND s.status = 'scheduled' FROM sessions s"
      " WHERE s.id = enrolments.session_id) AS session_moved"
    + ", (SELECT CASE WHEN s.location <> '' THEN s.location ELSE s.online_url END FROM sessions s"
      " WHERE s.id = enrolments.session_id) AS venue")

# Levels, lowest first (rank is unique).
LEVELS = Listing("levels", "levels", LEVEL_COLUMNS, "rank integer, code text")
# By code (the primary key).
COURSES = Listing("courses", "courses", COURSE_COLUMNS, "code text")
# A course's sessions, soonest first; migration 0002 indexes (course_code, starts_at, id).
SESSIONS = Listing("sessions", "sessions", SESSION_READ_COLUMNS, "starts_at timestamptz, id uuid",
                   scope=("course_code",))
# A learner's bookings and attendance, newest first; migration 0003 indexes them by user.
MY_ENROLMENTS = Listing("my-enrolments", "enrolments", ENROLMENT_COLUMNS, "enrolled_at timestamptz, id uuid",
                        descending=True, scope=("user_id",))
MY_ATTENDANCE = Listing("my-attendance", "attendance", ATTENDANCE_COLUMNS, "marked_at timestamptz, session_id uuid",
                        descending=True, scope=("user_id",))
# A session's register: its bookings in the order they were made; migration 0004 indexes them by session.
REGISTER = Listing("register", "enrolments", REGISTER_COLUMNS, "enrolled_at timestamptz, id uuid",
                   scope=("session_id",))
# A person's training record, newest booking first (enrolments_by_user).
RECORD = Listing("record", "enrolments", RECORD_COLUMNS, "enrolled_at timestamptz, id uuid",
                 descending=True, scope=("user_id",))
# A person's certificates, newest first (certificates_by_user).
MY_CERTIFICATES = Listing("my-certificates", "certificates", CERTIFICATE_COLUMNS, "issued_at timestamptz, code text",
                          descending=True, scope=("user_id",))


# -- levels and courses ------------------------------------------------------------------------------

def add_level(uow: UnitOfWork, fields: Row) -> Row | None:
    return uow.one(f"""INSERT INTO levels (code, title, rank) VALUES (%(code)s, %(title)s, %(rank)s)
                       ON CONFLICT DO NOTHING RETURNING {LEVEL_COLUMNS}""", fields)


def level(uow: UnitOfWork, code: str) -> Row | None:
    return uow.one(f"SELECT {LEVEL_COLUMNS} FROM levels WHERE code = %s", (code,))


def add_course(uow: UnitOfWork, fields: Row, created_by: str) -> Row | None:
    return uow.one(
        f"""INSERT INTO courses (code, title, description, level_code, learning_outcomes, prerequisite_code,
                                 duration_minutes, audience, created_by)
            VALUES (%(code)s, %(title)s, %(description)s, %(level_code)s, %(learning_outcomes)s,
                    %(prerequisite_code)s, %(duration_minutes)s, %(audience)s, %(created_by)s)
            ON CONFLICT (code) DO NOTHING RETURNING {COURSE_COLUMNS}""",
        {**fields, "created_by": created_by},
    )


def course(uow: UnitOfWork, code: str) -> Row | None:
    return uow.one(f"SELECT {COURSE_COLUMNS} FROM courses WHERE code = %s", (code,))


# -- sessions ----------------------------------------------------------------------------------------

def add_session(uow: UnitOfWork, session: Row) -> Row:
    row = uow.one(
        f"""INSERT INTO sessions (id, course_code, starts_at, capacity, location, online_url, trainer, trainers)
            VALUES (%(id)s, %(course_code)s, %(starts_at)s, %(capacity)s, %(location)s, %(online_url)s,
                    %(trainer)s, %(trainers)s)
            RETURNING {SESSION_COLUMNS}, capacity AS places_left, 0 AS waitlisted""",
        session,
    )
    assert row is not None
    return row


def session(uow: UnitOfWork, session_id: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {SESSION_READ_COLUMNS} FROM sessions WHERE id = %s{lock}", (session_id,))


def move_session(uow: UnitOfWork, session_id: str, changes: Row) -> None:
    uow.execute("""UPDATE sessions SET starts_at = %(starts_at)s, location = %(location)s, online_url = %(online_url)s,
                          version = version + 1 WHERE id = %(id)s""", {**changes, "id": session_id})


def cancel_session(uow: UnitOfWork, session_id: str, reason: str) -> None:
    uow.execute("UPDATE sessions SET status = 'cancelled', cancel_reason = %s, version = version + 1 WHERE id = %s",
                (reason, session_id))


# -- bookings ----------------------------------------------------------------------------------------

def count_bookings(uow: UnitOfWork, session_id: str, status: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM enrolments WHERE session_id = %s AND status = %s", (session_id, status))
    return int(row["n"]) if row else 0


def add_enrolment(uow: UnitOfWork, enrolment: Row) -> Row | None:
    """The new booking; a cancelled one of the same learner comes back; None when one is active."""
    return uow.one(
        f"""INSERT INTO enrolments (id, session_id, user_id, status, position, booked_by, name, email, directorate)
            VALUES (%(id)s, %(session_id)s, %(user_id)s, %(status)s, %(position)s, %(booked_by)s, %(name)s,
                    %(email)s, %(directorate)s)
            ON CONFLICT (session_id, user_id) DO UPDATE SET
                status = EXCLUDED.status, position = EXCLUDED.position, booked_by = EXCLUDED.booked_by,
                name = EXCLUDED.name, email = EXCLUDED.email, directorate = EXCLUDED.directorate,
                enrolled_at = now(), cancelled_at = NULL
            WHERE enrolments.status = 'cancelled'
            RETURNING {ENROLMENT_COLUMNS}""",
        enrolment,
    )


def booking(uow: UnitOfWork, session_id: str, user_id: str) -> Row | None:
    return uow.one(f"SELECT {ENROLMENT_COLUMNS} FROM enrolments WHERE session_id = %s AND user_id = %s",
                   (session_id, user_id))


def booking_status(uow: UnitOfWork, session_id: str, user_id: str) -> str | None:
    found = booking(uow, session_id, user_id)
    return found["status"] if found else None


def cancel_booking(uow: UnitOfWork, enrolment_id: str) -> None:
    uow.execute("UPDATE enrolments SET status = 'cancelled', position = NULL, cancelled_at = now() WHERE id = %s",
                (enrolment_id,))


def close_waitlist_gap(uow: UnitOfWork, session_id: str, after_position: int) -> None:
    """Everyone behind ``after_position`` moves up one (the positions stay 1, 2, 3...)."""
    uow.execute("""UPDATE enrolments SET position = position - 1
                   WHERE session_id = %s AND status = 'waitlisted' AND position > %s""", (session_id, after_position))


def promote_first_waitlisted(uow: UnitOfWork, session_id: str) -> Row | None:
    """The first on the waitlist takes a confirmed place (the rest move up); None when nobody waits."""
    first = uow.one(f"""UPDATE enrolments SET status = 'enrolled', position = NULL
                        WHERE session_id = %s AND status = 'waitlisted' AND position = 1
                        RETURNING {ENROLMENT_COLUMNS}""", (session_id,))
    if first is not None:
        close_waitlist_gap(uow, session_id, 1)
    return first


def active_bookings(uow: UnitOfWork, session_id: str) -> list[Row]:
    return uow.all(f"""SELECT {ENROLMENT_COLUMNS} FROM enrolments
                       WHERE session_id = %s AND status <> 'cancelled' ORDER BY enrolled_at, id""", (session_id,))


def cancel_all_bookings(uow: UnitOfWork, session_id: str) -> None:
    uow.execute("""UPDATE enrolments SET status = 'cancelled', position = NULL, cancelled_at = now()
                   WHERE session_id = %s AND status <> 'cancelled'""", (session_id,))


def completed_courses(uow: UnitOfWork, user_id: str) -> list[str]:
    return [row["course_code"] for row in uow.all("SELECT course_code FROM certificates WHERE user_id = %s",
                                                  (user_id,))]


# -- attendance and certificates --------------------------------------------------------------------

def add_attendance(uow: UnitOfWork, session_id: str, user_id: str, period: date, by: str) -> Row | None:
    return uow.one(
        f"""INSERT INTO attendance (session_id, user_id, period, marked_by) VALUES (%s, %s, %s, %s)
            ON CONFLICT (session_id, user_id) DO NOTHING RETURNING {ATTENDANCE_COLUMNS}""",
        (session_id, user_id, period, by),
    )


def add_certificate(uow: UnitOfWork, certificate: Row) -> Row:
    row = uow.one(
        f"""INSERT INTO certificates (code, session_id, user_id, name, course_code, course_title, level_title,
                                      completed_on)
            VALUES (%(code)s, %(session_id)s, %(user_id)s, %(name)s, %(course_code)s, %(course_title)s,
                    %(level_title)s, %(completed_on)s)
            RETURNING {CERTIFICATE_COLUMNS}""",
        certificate,
    )
    assert row is not None
    return row


def certificate(uow: UnitOfWork, code: str) -> Row | None:
    return uow.one(f"SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE code = %s", (code,))


def qi_level_rank(uow: UnitOfWork, user_id: str) -> int | None:
    row = uow.one("SELECT l.rank FROM qi_levels q JOIN levels l ON l.code = q.level_code WHERE q.user_id = %s",
                  (user_id,))
    return int(row["rank"]) if row else None


def set_qi_level(uow: UnitOfWork, user_id: str, level_code: str) -> None:
    uow.execute("""INSERT INTO qi_levels (user_id, level_code) VALUES (%s, %s)
                   ON CONFLICT (user_id) DO UPDATE SET level_code = EXCLUDED.level_code, reached_at = now()""",
                (user_id, level_code))


def record(uow: UnitOfWork, user_id: str) -> list[Row]:
    """A person's whole record (the CSV export), newest booking first."""
    return uow.all(f"SELECT {RECORD_COLUMNS} FROM enrolments WHERE user_id = %s ORDER BY enrolled_at DESC, id DESC",
                   (user_id,))


# -- scheduled jobs ----------------------------------------------------------------------------------

def confirmed_bookings_starting_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[Row]:
    """Confirmed bookings on sessions that go ahead and start in (start, end], with the session."""
    return uow.all(
        f"""SELECT {', '.join('e.' + c.strip() for c in ENROLMENT_COLUMNS.split(','))},
                   s.starts_at, s.course_code, s.location, s.online_url
            FROM enrolments e JOIN sessions s ON s.id = e.session_id
            WHERE s.status = 'scheduled' AND s.starts_at > %s AND s.starts_at <= %s AND e.status = 'enrolled'
            ORDER BY s.starts_at, e.id""",
        (start, end),
    )


def mark_reminder_sent(uow: UnitOfWork, enrolment_id: str, kind: str, starts_at: datetime) -> bool:
    """True the first time this reminder is recorded for the booking and start time; False after."""
    row = uow.one("""INSERT INTO reminders_sent (enrolment_id, kind, starts_at) VALUES (%s, %s, %s)
                     ON CONFLICT DO NOTHING RETURNING enrolment_id""", (enrolment_id, kind, starts_at))
    return row is not None


def staff_trained_before(uow: UnitOfWork, month: date) -> list[Row]:
    """Distinct people trained per month before ``month``, for the trust and each directorate given
    on their booking; rows (period, unit_code, staff, published) with the count last published."""
    return uow.all(
        """WITH trained AS (
               SELECT a.period, a.user_id, e.directorate
               FROM attendance a JOIN enrolments e ON e.session_id = a.session_id AND e.user_id = a.user_id
               WHERE a.period < %(month)s),
           counts AS (
               SELECT period, %(trust)s::text AS unit_code, count(DISTINCT user_id)::int AS staff FROM trained
               GROUP BY period
               UNION ALL
               SELECT period, directorate, count(DISTINCT user_id)::int FROM trained
               WHERE directorate IS NOT NULL GROUP BY period, directorate)
           SELECT c.period, c.unit_code, c.staff, p.staff AS published
           FROM counts c LEFT JOIN published_counts p ON p.period = c.period AND p.unit_code = c.unit_code
           ORDER BY c.period, c.unit_code""",
        {"month": month, "trust": "TRUST"},
    )


def record_published(uow: UnitOfWork, period: date, unit_code: str, staff: int) -> None:
    uow.execute("""INSERT INTO published_counts (period, unit_code, staff) VALUES (%s, %s, %s)
                   ON CONFLICT (period, unit_code) DO UPDATE SET staff = EXCLUDED.staff, published_at = now()""",
                (period, unit_code, staff))

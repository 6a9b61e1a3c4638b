"""SQL for the training schema. Functions take a unit of work and return rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.db import UnitOfWork
from shared.pagination import Listing

COURSE_COLUMNS = "code, title, description, created_by, created_at"
SESSION_COLUMNS = "id, course_code, starts_at, capacity, location, trainer, created_at"
# A session as read: its columns and the places not yet taken by an enrolled learner.
SESSION_READ_COLUMNS = (SESSION_COLUMNS + ", capacity - (SELECT count(*) FROM enrolments e WHERE e.session_id ="
                        " sessions.id AND e.status = 'enrolled')::int AS places_left")
ENROLMENT_COLUMNS = "id, session_id, user_id, status, position, enrolled_at"
ATTENDANCE_COLUMNS = "session_id, user_id, period, marked_by, marked_at"

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


def add_course(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> dict[str, Any] | None:
    return uow.one(
        f"""INSERT INTO courses (code, title, description, created_by) VALUES (%s, %s, %s, %s)
            ON CONFLICT (code) DO NOTHING RETURNING {COURSE_COLUMNS}""",
        (fields["code"], fields["title"], fields["description"], created_by),
    )


def course(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.one(f"SELECT {COURSE_COLUMNS} FROM courses WHERE code = %s", (code,))


def add_session(uow: UnitOfWork, session: dict[str, Any]) -> dict[str, Any]:
    row = uow.one(
        f"""INSERT INTO sessions (id, course_code, starts_at, capacity, location, trainer)
            VALUES (%(id)s, %(course_code)s, %(starts_at)s, %(capacity)s, %(location)s, %(trainer)s)
            RETURNING {SESSION_COLUMNS}, capacity AS places_left""",
        session,
    )
    assert row is not None
    return row


def session(uow: UnitOfWork, session_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {SESSION_READ_COLUMNS} FROM sessions WHERE id = %s{lock}", (session_id,))


def count_bookings(uow: UnitOfWork, session_id: str, status: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM enrolments WHERE session_id = %s AND status = %s", (session_id, status))
    return int(row["n"]) if row else 0


def add_enrolment(uow: UnitOfWork, enrolment: dict[str, Any]) -> dict[str, Any] | None:
    return uow.one(
        f"""INSERT INTO enrolments (id, session_id, user_id, status, position)
            VALUES (%(id)s, %(session_id)s, %(user_id)s, %(status)s, %(position)s)
            ON CONFLICT (session_id, user_id) DO NOTHING RETURNING {ENROLMENT_COLUMNS}""",
        enrolment,
    )


def booking_status(uow: UnitOfWork, session_id: str, user_id: str) -> str | None:
    row = uow.one("SELECT status FROM enrolments WHERE session_id = %s AND user_id = %s", (session_id, user_id))
    return row["status"] if row else None


def add_attendance(uow: UnitOfWork, session_id: str, user_id: str, period: date, by: str) -> dict[str, Any] | None:
    return uow.one(
        """INSERT INTO attendance (session_id, user_id, period, marked_by) VALUES (%s, %s, %s, %s)
           ON CONFLICT (session_id, user_id) DO NOTHING
           RETURNING session_id, user_id, period, marked_by, marked_at""",
        (session_id, user_id, period, by),
    )


def count_completion(uow: UnitOfWork, period: date) -> int:
    """Add one completion to the month and return the month's total (waits for a concurrent one)."""
    row = uow.one(
        """INSERT INTO monthly_completions (period, completions) VALUES (%s, 1)
           ON CONFLICT (period) DO UPDATE SET completions = monthly_completions.completions + 1
           RETURNING completions""",
        (period,),
    )
    assert row is not None
    return int(row["completions"])

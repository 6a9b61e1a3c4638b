"""The rules of booking and completing WTGR training, in plain Python.

A session is scheduled in the future. A learner books a place on a session that has not started;
when the places are taken they join the waitlist instead, and when a booked learner cancels, the
first on the waitlist takes the place. A trainer marks a learner with a confirmed place attended
once the session has started (a waitlisted learner never attended), which completes the course,
issues a certificate, and counts them as trained in the trust's month of the session (Europe/London).
A month's count is published once the month is over, never while it is still running.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.errors import Conflict, Forbidden, InvalidInput
from shared.month import Month, month_text

ENROLLED, WAITLISTED, CANCELLED = "enrolled", "waitlisted", "cancelled"
SCHEDULED = "scheduled"
TRUST_TIME = ZoneInfo("Europe/London")
STAFF_TRAINED_KPI = "STAFF_TRAINED_QI"
TRUST_UNIT = "TRUST"
MEASURE_SOURCE = "training-service"
# Reminders before a session: (kind, how long before it starts).
REMINDERS = (("7d", timedelta(days=7)), ("1d", timedelta(days=1)))
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class BookingRefused(Conflict):
    """The learner cannot book, cancel, or be marked attended, as asked."""


class SessionRefused(InvalidInput):
    """The session's date or details cannot be accepted."""


class NotYours(Forbidden):
    """Only trainers and admins act for someone else."""


def place_for(capacity: int, places_taken: int) -> str:
    return ENROLLED if places_taken < capacity else WAITLISTED


def check_session_time(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise SessionRefused("a session must start in the future", field="starts_at", reason="is in the past")


def check_session_open(status: str) -> None:
    if status != SCHEDULED:
        raise BookingRefused("the session is cancelled")


def check_can_enrol(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise BookingRefused("the session has already started; book a later one")


def check_prerequisite(prerequisite: str | None, completed_courses: Iterable[str]) -> None:
    if prerequisite and prerequisite not in set(completed_courses):
        raise BookingRefused(f"this course needs {prerequisite} to be completed first")


def check_booking_for(caller: str, learner: str, caller_may_book_for_others: bool) -> None:
    if learner != caller and not caller_may_book_for_others:
        raise NotYours("only a trainer or an admin books a place for someone else")


def check_may_manage_session(user: str, is_admin: bool, trainers: Iterable[str]) -> None:
    """A session is moved or cancelled by one of its own trainers, or by an admin."""
    if not is_admin and user not in set(trainers):
        raise NotYours("only the session's own trainers or an admin move or cancel it")


def check_can_cancel(starts_at: datetime, now: datetime, status: str | None) -> None:
    if status in (None, CANCELLED):
        raise BookingRefused("there is no booking to cancel")
    if starts_at <= now:
        raise BookingRefused("the session has started; its booking can no longer be cancelled")


def check_can_mark_attended(starts_at: datetime, now: datetime, booking_status: str | None) -> None:
    if starts_at > now:
        raise BookingRefused("attendance is marked once the session has started")
    if booking_status in (None, CANCELLED):
        raise BookingRefused("the learner has no booking on this session")
    if booking_status != ENROLLED:
        raise BookingRefused("only a learner with a confirmed place can be marked attended, not one on the waitlist")


def reminders_due(starts_at: datetime, now: datetime) -> list[str]:
    """The reminders whose time has come for a session that has not started yet (the 1-day one
    only, when both have: nobody wants a 7-day reminder the day before)."""
    if starts_at <= now:
        return []
    due = [kind for kind, before in REMINDERS if starts_at - before <= now]
    return due[-1:]


def month_of(moment: datetime) -> date:
    """The first day of the trust's month in which ``moment`` falls."""
    return Month.of(moment.astimezone(TRUST_TIME)).first_day


def months_over(now: datetime) -> date:
    """The first day of the trust's current month: every month before it is over."""
    return month_of(now)


def staff_trained_measure(month: date, unit_code: str, staff: int) -> dict[str, Any]:
    """The measure.recorded payload: how many staff were trained in ``month`` at ``unit_code``."""
    return {"kpi_code": STAFF_TRAINED_KPI, "unit_code": unit_code, "period": month_text(month),
            "value": float(staff), "source": MEASURE_SOURCE}


def new_certificate_code() -> str:
    """A verification code such as ``7KQ2-M9XD-4TPA``: 60 bits, unguessable, easy to read aloud."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(letters[i:i + 4] for i in range(0, 12, 4))


def rises(current_rank: int | None, new_rank: int) -> bool:
    """Whether completing a course of ``new_rank`` raises the person's QI level."""
    return current_rank is None or new_rank > current_rank


def when_text(moment: datetime) -> str:
    """A start time as people read it, in the trust's time: ``Tuesday 14 April 2026 at 09:30``."""
    local = moment.astimezone(TRUST_TIME)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"

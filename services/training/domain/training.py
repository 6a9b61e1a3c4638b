"""The rules of booking and completing WTGR training, in plain Python.

A learner books a place on a session that has not started; when the places are taken they join
the waitlist instead. A trainer marks a booked learner attended once the session has started,
which completes the course and counts towards the trust's "staff trained in QI" KPI for the month
the session was held (the trust's month, Europe/London).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.errors import Conflict
from shared.month import Month, month_text

ENROLLED, WAITLISTED = "enrolled", "waitlisted"
TRUST_TIME = ZoneInfo("Europe/London")
STAFF_TRAINED_KPI = "STAFF_TRAINED_QI"
TRUST_UNIT = "TRUST"
MEASURE_SOURCE = "training-service"


class BookingRefused(Conflict):
    """The learner cannot book, or be marked attended, as asked."""


def place_for(capacity: int, places_taken: int) -> str:
    return ENROLLED if places_taken < capacity else WAITLISTED


def check_can_enrol(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise BookingRefused("the session has already started; book a later one")


def check_can_mark_attended(starts_at: datetime, now: datetime, booking_status: str | None) -> None:
    if starts_at > now:
        raise BookingRefused("attendance is marked once the session has started")
    if booking_status is None:
        raise BookingRefused("the learner has no booking on this session")


def month_of(moment: datetime) -> date:
    """The first day of the trust's month in which ``moment`` falls."""
    return Month.of(moment.astimezone(TRUST_TIME)).first_day


def staff_trained_measure(month: date, completions: int) -> dict[str, Any]:
    """The trust-level measure.recorded payload: how many completions there were in ``month``."""
    return {"kpi_code": STAFF_TRAINED_KPI, "unit_code": TRUST_UNIT, "period": month_text(month),
            "value": float(completions), "source": MEASURE_SOURCE}

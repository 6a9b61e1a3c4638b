"""When is a month's measure overdue? A feed owes month M by day ``expected_by_day`` of month M+1."""

from __future__ import annotations

from datetime import date

from shared.month import Month


def owed_month(today: date, expected_by_day: int) -> date | None:
    """The month whose measure is overdue today, or None while this month's deadline is ahead."""
    if today.day <= expected_by_day:
        return None
    return Month.of(today).previous().first_day


def deadline(month: date, expected_by_day: int) -> date:
    return Month.of(month).next().day(expected_by_day)

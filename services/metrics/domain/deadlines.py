"""When is a month's measure overdue? A feed owes month M by day ``expected_by_day`` of month M+1."""

from __future__ import annotations

from datetime import date


def owed_month(today: date, expected_by_day: int) -> date | None:
    """The month whose measure is overdue today, or None while this month's deadline is ahead."""
    if today.day <= expected_by_day:
        return None
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def deadline(month: date, expected_by_day: int) -> date:
    following = date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    return following.replace(day=expected_by_day)

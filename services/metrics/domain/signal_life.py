"""The life of a signal, and when nobody acting on it is chased (plain Python).

A signal is opened by a special-cause episode or a run chart's non-random variation. People then
say what it is::

    open --acknowledge--> acknowledged --explain--------> explained ------close--> closed
                                       \\--plan action--> action_planned --close--/

``explained`` and ``action_planned`` may follow each other (a cause found, then work planned on
it, or the other way round). A signal is closed either because its chart returned to common cause
or because the process changed and its chart was rebased (with a reason).

A signal nobody acknowledged is chased after a number of working days (Monday to Friday, bank
holidays of England excepted): a reminder to the KPI's owners, later an escalation to the lead of
the unit's directorate. Each is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

OPEN, ACKNOWLEDGED, EXPLAINED, ACTION_PLANNED, CLOSED = "open", "acknowledged", "explained", "action_planned", "closed"
STATES = (OPEN, ACKNOWLEDGED, EXPLAINED, ACTION_PLANNED, CLOSED)
RETURNED, REBASED = "returned_to_common_cause", "rebased"
CLOSED_AS = (RETURNED, REBASED)
SPECIAL_CAUSE, RUN_CHART = "special_cause", "run_chart"
KINDS = (SPECIAL_CAUSE, RUN_CHART)

# What each step needs the signal to be in now.
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "acknowledge": (ACKNOWLEDGED, (OPEN,)),
    "explain": (EXPLAINED, (ACKNOWLEDGED, ACTION_PLANNED)),
    "plan": (ACTION_PLANNED, (ACKNOWLEDGED, EXPLAINED)),
    "close": (CLOSED, (EXPLAINED, ACTION_PLANNED)),
}


class StepNotAllowed(Exception):
    """The signal is not in a state the step can be taken from."""


class StillSignalling(Exception):
    """A signal cannot be closed as returned to common cause while its chart still signals."""


def next_state(step: str, current: str) -> str:
    """The state ``step`` moves a signal in ``current`` to; StepNotAllowed when it cannot."""
    target, allowed_from = STEPS[step]
    if current not in allowed_from:
        raise StepNotAllowed(f"a signal that is {current.replace('_', ' ')} cannot be {_done(step)}; "
                             f"it can be from {' or '.join(s.replace('_', ' ') for s in allowed_from)}")
    return target


def _done(step: str) -> str:
    return {"acknowledge": "acknowledged", "explain": "explained", "plan": "given an action plan",
            "close": "closed"}[step]


def check_returned(still_signals: bool) -> None:
    if still_signals:
        raise StillSignalling("the chart's newest month still signals: close it as rebased (with a reason) "
                              "or wait until it returns to common cause")


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end is not after start)."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


@dataclass(frozen=True)
class Chase:
    """How long a signal may wait unacknowledged: reminder after ``remind_after``, escalation after
    ``escalate_after`` working days."""

    remind_after: int = 3
    escalate_after: int = 5

    def due(self, opened: date, today: date, reminded: bool, escalated: bool) -> tuple[bool, bool]:
        """(remind now, escalate now) for an unacknowledged signal opened on ``opened``."""
        waited = working_days_between(opened, today)
        return (not reminded and waited >= self.remind_after, not escalated and waited >= self.escalate_after)

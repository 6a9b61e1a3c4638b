"""Has a completed project's improvement been sustained? (plain Python)

Metrics watches a completed project's outcome and balancing measures and says when a signal of
concern is seen on one (signal.opened names the project). A story shows how many months of its
outcome measure have been charted since the project completed without such a signal, or the month
it slipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.month import Month


@dataclass(frozen=True)
class Sustainment:
    completed_on: date
    sustained: bool
    months: int  # months of the outcome charted after the completion month (before the slip, when it slipped)
    slipped_in: str | None = None  # YYYY-MM: the month of the first signal of concern since completion
    slipped_on: str | None = None  # the measure it was seen on


def sustainment(completed_on: date, charted: Iterable[str], slipped_in: str | None = None,
                slipped_on: str | None = None) -> Sustainment:
    """What a story says of its project's improvement, from the months of its outcome measure
    charted so far (``YYYY-MM``) and the first slip, if any."""
    after = Month.of(completed_on)
    until = Month.parse(slipped_in) if slipped_in else None
    held = {month for month in charted if Month.parse(month) > after and (until is None or Month.parse(month) < until)}
    return Sustainment(completed_on, slipped_in is None, len(held), slipped_in, slipped_on)


def earlier_slip(known: str | None, seen: str) -> str:
    """The month it first slipped: a later signal does not move it."""
    return seen if known is None or Month.parse(seen) < Month.parse(known) else known

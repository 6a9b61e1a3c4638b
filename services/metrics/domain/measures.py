"""What makes a monthly measure acceptable, in plain Python."""

from __future__ import annotations

import math
from datetime import date
from typing import NamedTuple

from services.metrics.domain.spc import MAX_ABS_VALUE
from shared.errors import InvalidInput
from shared.month import month_text

UNITS_OF_MEASURE = {
    # name: (lowest, highest) possible value
    "days": (0.0, math.inf),
    "minutes": (0.0, math.inf),
    "percent": (0.0, 100.0),
    "count": (0.0, math.inf),
    "rate_per_1000_bed_days": (0.0, math.inf),
    "rate_per_1000": (0.0, math.inf),
    "ratio": (0.0, math.inf),
    "score": (-math.inf, math.inf),
    "currency_gbp": (-math.inf, math.inf),
}
IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
# The CQC's five key questions, in the regulator's order: a KPI serves one or more (as a project does).
CQC_KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well-led")


def in_cqc_order(questions: list[str]) -> list[str]:
    """The key questions once each, in the CQC's order."""
    return sorted(set(questions), key=CQC_KEY_QUESTIONS.index)


class MeasureRejected(InvalidInput):
    """The measure can never be accepted; ``field`` names the part that is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", field=field, reason=reason)


class Measure(NamedTuple):
    """A month's figures for a KPI at a unit, as recorded (a named tuple: a backfill makes a
    million, and a frozen dataclass takes about 4 times as long to make)."""

    kpi_code: str
    unit_code: str
    period: date  # the first day of the month measured
    value: float
    numerator: float | None
    denominator: float | None
    source: str
    recorded_by: str | None = None
    note: str | None = None

    def same_figures_as(self, other: Measure) -> bool:
        return (self.value, self.numerator, self.denominator) == (other.value, other.numerator, other.denominator)


def check_measure(measure: Measure, unit_of_measure: str, today: date) -> None:
    """Raise MeasureRejected when the figures are impossible for the KPI or the month is to come."""
    if _first_day(measure.period) > _first_day(today):
        raise MeasureRejected("period", f"{month_text(measure.period)} is in the future")
    if not math.isfinite(measure.value):
        raise MeasureRejected("value", "must be a finite number")
    if abs(measure.value) > MAX_ABS_VALUE:
        raise MeasureRejected("value", f"{measure.value:g} is beyond any KPI (at most ±{MAX_ABS_VALUE:g})")
    lowest, highest = UNITS_OF_MEASURE[unit_of_measure]
    if not lowest <= measure.value <= highest:
        raise MeasureRejected("value", f"{measure.value} is impossible for a KPI measured in {unit_of_measure}"
                              f" (allowed {lowest} to {highest})")
    has_ratio = measure.denominator is not None and measure.numerator is not None
    if has_ratio and (measure.denominator <= 0 or measure.numerator < 0):  # type: ignore[operator]
        raise MeasureRejected("denominator", "numerator must be >= 0 and denominator > 0")


def check_unit_open(measure: Measure, opened_on: date | None, closed_on: date | None) -> None:
    """A unit measures only the months it was open for (in part at least)."""
    if opened_on is not None and _first_day(measure.period) < _first_day(opened_on):
        raise MeasureRejected("period", f"the unit opened on {opened_on.isoformat()}")
    if closed_on is not None and measure.period > closed_on:
        raise MeasureRejected("period", f"the unit closed on {closed_on.isoformat()}")


def _first_day(day: date) -> date:
    """The first day of ``day``'s month: months compared as dates, a backfill's million times."""
    return day.replace(day=1)

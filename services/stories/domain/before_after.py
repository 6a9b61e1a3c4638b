"""The before/after figures of an outcome measure, captured when a project completes.

A pure function of the monthly series and the month the project started: the months before are
the baseline, the months from the start on are "after". The chart and its table come from this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

BEFORE, AFTER = "before", "after"


@dataclass(frozen=True)
class Point:
    period: str  # YYYY-MM
    value: float
    phase: str  # before | after


@dataclass(frozen=True)
class BeforeAfter:
    """The series split at ``started`` (a YYYY-MM month, or None when the start is not known: then
    every point is "after" and there is no baseline to compare with)."""

    kpi_code: str
    unit_code: str
    name: str
    unit_of_measure: str
    started: str | None
    points: tuple[Point, ...]

    @property
    def before(self) -> list[float]:
        return [p.value for p in self.points if p.phase == BEFORE]

    @property
    def after(self) -> list[float]:
        return [p.value for p in self.points if p.phase == AFTER]

    @property
    def before_mean(self) -> float | None:
        return round(fmean(self.before), 4) if self.before else None

    @property
    def after_mean(self) -> float | None:
        return round(fmean(self.after), 4) if self.after else None

    @property
    def change(self) -> float | None:
        if self.before_mean is None or self.after_mean is None:
            return None
        return round(self.after_mean - self.before_mean, 4)

    def describe(self) -> str:
        """One sentence a screen reader reads for the chart."""
        if not self.points:
            return f"No monthly values of {self.name} were known when the project completed."
        first, last = self.points[0].period, self.points[-1].period
        if self.before_mean is None or self.after_mean is None:
            return (f"{self.name} ({self.unit_code}) from {first} to {last}, {len(self.points)} months; "
                    f"no baseline before the project started to compare with.")
        return (f"{self.name} ({self.unit_code}) from {first} to {last}: the mean was {_figure(self.before_mean)} "
                f"{self.unit_of_measure} over {len(self.before)} months before the project started in "
                f"{self.started} and {_figure(self.after_mean)} {self.unit_of_measure} over {len(self.after)} "
                f"months after.")


def before_after(kpi_code: str, unit_code: str, name: str, unit_of_measure: str,
                 series: Sequence[tuple[str, float]], started: str | None) -> BeforeAfter:
    """The series (period, value), oldest first, split at the month the project started."""
    points = tuple(Point(period, value, BEFORE if started is not None and period < started else AFTER)
                   for period, value in sorted(series))
    return BeforeAfter(kpi_code, unit_code, name, unit_of_measure, started, points)


def _figure(value: float) -> str:
    return f"{value:.4g}"

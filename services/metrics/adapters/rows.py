"""The typed rows metrics' adapters hand to the service layer (frozen: a row read is a fact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from services.metrics.domain.placements import Placement

MonthKey = tuple[str, str, date]  # (kpi_code, unit_code, period)
SeriesKey = tuple[str, str]  # (kpi_code, unit_code)


@dataclass(frozen=True)
class Kpi:
    """A KPI's definition: how it is measured, which way is better, how units roll up."""

    code: str
    name: str
    description: str
    unit_of_measure: str
    improvement_direction: str
    owners: tuple[str, ...]
    data_source: str
    expected_by_day: int
    aggregation: str
    fix_after_n_points: int | None
    screen_outliers: bool
    measured_levels: tuple[str, ...] = ("specialty", "ward", "theatre")
    decimal_places: int | None = None  # None: the unit of measure's default (``levels.decimal_places``)
    run_freeze: int | None = None  # a run chart's median is of its first N months
    run_centre_line: float | None = None  # a run chart's centre line, given
    cqc: tuple[str, ...] = ()  # the CQC key questions it serves

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Kpi:
        return cls(**{**row, "owners": tuple(row["owners"]), "measured_levels": tuple(row["measured_levels"]),
                      "cqc": tuple(row.get("cqc") or ())})


@dataclass(frozen=True)
class Unit:
    """An organisational unit as it is now (its placements month by month are in ``hierarchy``)."""

    code: str
    name: str
    level: str
    parent_code: str | None
    opened_on: date | None
    closed_on: date | None


@dataclass(frozen=True)
class TreeUnit:
    """A unit as the aggregator sees it: its parent and depth now, and where it sat in which months."""

    code: str
    name: str
    parent_code: str | None
    placements: tuple[Placement, ...]
    depth: int = 0  # below the top now (a trust is 0)


class MonthValue(NamedTuple):
    """A unit's value of a KPI for a month, measured or rolled up from the units below (a named
    tuple, not a dataclass: a backfill's pass reads hundreds of thousands, and it is 4 times
    quicker to make)."""

    kpi_code: str
    unit_code: str
    period: date
    value: float
    numerator: float | None = None
    denominator: float | None = None
    rolled_up: bool = False

    @property
    def month(self) -> MonthKey:
        return (self.kpi_code, self.unit_code, self.period)


@dataclass(frozen=True)
class TargetChange:
    effective_from: date
    target: float | None


@dataclass(frozen=True)
class ChartSummary:
    """The ``spc_charts`` row of a series: its newest point's summary and the chart's JSON."""

    kpi_code: str
    unit_code: str
    first_period: date
    last_period: date
    last_value: float
    last_point_type: str | None
    variation_icon: str | None
    assurance_icon: str | None
    chart_type: str
    chart: dict[str, Any]
    provisional_through: date | None = None  # the newest month held back because it has not ended


@dataclass(frozen=True)
class StoredEpisode:
    """The newest signal episode of a series."""

    id: int
    kpi_code: str
    unit_code: str
    point_type: str
    started: date
    last_seen: date


@dataclass(frozen=True)
class QueuedChart:
    """A claimed ``chart_queue`` row: why the chart is to be recomputed."""

    id: int
    kpi_code: str
    unit_code: str
    cause: str
    change: dict[str, Any]
    correlation_id: str | None

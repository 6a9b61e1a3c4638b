"""The levels of the organisation, how they nest, where a KPI is measured and how it is shown.

Levels nest in this order, a unit sitting below one of a higher level (a ward may sit straight
under a directorate, never a trust under a ward). Wards and theatres are one level apart from
nothing: neither sits under the other.

Per KPI, ``measured_levels`` are the levels where its values are recorded; the others are rolled
up from the units below and refuse a value recorded on them, which would otherwise override the
roll-up unseen.
"""

from __future__ import annotations

from collections.abc import Iterable

LEVELS = ("trust", "division", "directorate", "specialty", "ward", "theatre")
RANK = {"trust": 0, "division": 1, "directorate": 2, "specialty": 3, "ward": 4, "theatre": 4}
DEFAULT_MEASURED_LEVELS = ("specialty", "ward", "theatre")
# Decimal places a value is shown with when the KPI does not say (stored and exported in full).
DEFAULT_DECIMAL_PLACES = {"count": 0, "minutes": 0, "percent": 1, "days": 1, "score": 1,
                          "rate_per_1000_bed_days": 2, "rate_per_1000": 2, "ratio": 2, "currency_gbp": 2}


def nests_under(level: str, parent_level: str) -> bool:
    """May a unit of ``level`` sit under one of ``parent_level``?"""
    return RANK[parent_level] < RANK[level]


def nesting_problem(level: str, parent_level: str) -> str | None:
    if nests_under(level, parent_level):
        return None
    return f"a {level} cannot sit under a {parent_level}: levels nest in the order {', '.join(LEVELS)}"


def rolled_up_problem(kpi_code: str, measured_levels: Iterable[str], level: str) -> str | None:
    """Why a value of ``kpi_code`` cannot be recorded on a unit of ``level``, or None when it can."""
    levels = tuple(measured_levels)
    if level in levels:
        return None
    return (f"{kpi_code} is rolled up at {level} level from the units below, not measured there; it is measured "
            f"at: {', '.join(levels)}")


def decimal_places(chosen: int | None, unit_of_measure: str) -> int:
    """How many decimal places a KPI's values are shown with."""
    return chosen if chosen is not None else DEFAULT_DECIMAL_PLACES.get(unit_of_measure, 2)


def shown(value: float | None, places: int) -> str:
    """A value as it is shown: rounded to ``places``, never as a float's binary noise."""
    return "" if value is None else f"{value:.{places}f}"

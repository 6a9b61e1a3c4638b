"""Rolling a KPI's monthly values up the organisational hierarchy (ward -> directorate -> trust)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

AGGREGATIONS = ("mean", "sum", "ratio")


@dataclass(frozen=True)
class MonthlyValue:
    value: float
    numerator: float | None = None
    denominator: float | None = None


class Figures(Protocol):
    """A unit's figures for a month: a ``MonthlyValue``, or a row read with them."""

    @property
    def value(self) -> float: ...
    @property
    def numerator(self) -> float | None: ...
    @property
    def denominator(self) -> float | None: ...


def ratio_scale(unit_of_measure: str) -> float:
    """What numerator/denominator is multiplied by to give the KPI's value."""
    if unit_of_measure == "percent":
        return 100.0
    if unit_of_measure.startswith("rate_per_1000"):
        return 1000.0
    return 1.0


def roll_up(aggregation: str, children: Sequence[Figures], unit_of_measure: str) -> MonthlyValue | None:
    """The parent's value from its children's values for one month; None when no child has one.

    "mean": the mean of the units' values; "sum": their total; "ratio": the summed numerators over
    the summed denominators (so a large ward weighs more than a small one), falling back to the
    mean when any child lacks its numerator and denominator.
    """
    if not children:
        return None
    if aggregation == "sum":
        return MonthlyValue(sum(child.value for child in children))
    if aggregation == "ratio" and all(c.numerator is not None and c.denominator for c in children):
        numerator = sum(c.numerator for c in children)  # type: ignore[misc]
        denominator = sum(c.denominator for c in children)  # type: ignore[misc]
        return MonthlyValue(numerator / denominator * ratio_scale(unit_of_measure), numerator, denominator)
    return MonthlyValue(sum(child.value for child in children) / len(children))

"""When does an SPC chart tell a KPI's owners something new?

A signal is a stretch of consecutive special-cause points of the same kind that reaches the
newest point. It is identified by where it starts and what kind it is, so owners are alerted
once when it appears and not again while it merely goes on, is recomputed or is replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.metrics.domain.spc import SpcPoint

SPECIAL = ("special_cause_improvement", "special_cause_concern", "special_cause_neutral_high",
           "special_cause_neutral_low")


@dataclass(frozen=True)
class Signal:
    start: int  # index of the first point of the stretch
    special_cause_type: str
    point_type: str


def newest_signal(points: Sequence[SpcPoint]) -> Signal | None:
    """The signal the newest point belongs to, or None when the newest point is common cause."""
    if not points or points[-1].point_type not in SPECIAL:
        return None
    newest = points[-1]
    start = len(points) - 1
    while start > 0 and _same_signal(points[start - 1], newest):
        start -= 1
    return Signal(start, newest.special_cause_type, newest.point_type)


def _same_signal(point: SpcPoint, newest: SpcPoint) -> bool:
    return point.special_cause_type == newest.special_cause_type and point.point_type == newest.point_type

"""When does an SPC chart tell a KPI's owners something new?

Owners are alerted when the newest point of a chart is a special cause and it starts a new
episode: the month before was not a special cause of the same kind (improvement, concern or
neutral high/low). While an episode goes on month after month, is recomputed, or is replayed,
nobody is alerted again. Limits that move with each new month reclassify earlier points, so an
episode follows the newest point, the one a reader acts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.metrics.domain.spc import SpcPoint
from shared.month import Month

SPECIAL = ("special_cause_improvement", "special_cause_concern", "special_cause_neutral_high",
           "special_cause_neutral_low")


@dataclass(frozen=True)
class Signal:
    start: int  # index of the first point of the stretch of this kind reaching the newest point
    special_cause_type: str
    point_type: str


@dataclass(frozen=True)
class Episode:
    point_type: str
    started: date
    last_seen: date


def newest_signal(points: Sequence[SpcPoint]) -> Signal | None:
    """The signal the newest point belongs to, or None when the newest point is common cause."""
    if not points or points[-1].point_type not in SPECIAL:
        return None
    newest = points[-1]
    start = len(points) - 1
    while start > 0 and points[start - 1].point_type == newest.point_type:
        start -= 1
    return Signal(start, newest.special_cause_type, newest.point_type)


def continues(episode: Episode | None, point_type: str, stretch_start: date) -> bool:
    """Does a stretch of special causes of ``point_type``, from ``stretch_start`` to the newest
    month, carry on ``episode``? It does when the episode was last seen within the stretch or the
    month just before it (a recompute, the next month, or several months recorded at once)."""
    if episode is None or episode.point_type != point_type:
        return False
    return episode.last_seen >= Month.of(stretch_start).previous().first_day

"""Where a unit sits in the organisational hierarchy, month by month.

A unit moves from a given month: the months before keep rolling up under the parent they had, the
months from then on under the new one. A placement holds from ``effective_from`` (the first of a
month) until ``effective_to`` (exclusive; None: still). A unit's placements cover every month,
its first one starting at ``EARLIEST``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

EARLIEST = date(1900, 1, 1)  # the earliest month a measure can name


@dataclass(frozen=True)
class Placement:
    parent_code: str | None
    effective_from: date
    effective_to: date | None = None

    def holds_in(self, period: date) -> bool:
        return self.effective_from <= period and (self.effective_to is None or period < self.effective_to)


def parent_in(placements: Sequence[Placement], period: date) -> str | None:
    """The unit's parent in a month (None: at the top)."""
    return next((p.parent_code for p in placements if p.holds_in(period)), None)


def moved(placements: Sequence[Placement], parent_code: str, moved_from: date) -> list[Placement]:
    """The placements once the unit sits under ``parent_code`` from ``moved_from`` on: what held
    before that month is kept, what was to hold after it is replaced, and a move to the parent it
    already had that month joins the placement before."""
    kept = []
    for placement in placements:
        if placement.effective_from >= moved_from:
            continue
        ends_before = placement.effective_to is not None and placement.effective_to <= moved_from
        kept.append(placement if ends_before else Placement(placement.parent_code, placement.effective_from,
                                                            moved_from))
    if kept and kept[-1].parent_code == parent_code and kept[-1].effective_to == moved_from:
        return [*kept[:-1], Placement(parent_code, kept[-1].effective_from)]
    return [*kept, Placement(parent_code, moved_from)]


def loop_after_move(tree: Mapping[str, Sequence[Placement]], unit_code: str, moved_from: date) -> date | None:
    """The first month from ``moved_from`` in which ``unit_code`` would be below itself, going by
    the placements in ``tree`` (every unit's, the move included); None when there is no loop.
    Only the months where some placement starts need checking: between them nothing changes."""
    starts = {moved_from} | {p.effective_from for placements in tree.values() for p in placements
                             if p.effective_from > moved_from}
    for period in sorted(starts):
        seen = {unit_code}
        parent = parent_in(tree.get(unit_code, ()), period)
        while parent is not None:
            if parent in seen:
                return period
            seen.add(parent)
            parent = parent_in(tree.get(parent, ()), period)
    return None

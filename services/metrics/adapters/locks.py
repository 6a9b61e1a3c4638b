"""Every lock metrics takes, and the one order in which a transaction takes them.

Two transactions that take the same locks in different orders can each wait for the other for
ever (Postgres then kills one: a deadlock). Every transaction in metrics therefore takes its locks
in this order, skipping those it does not need, and never goes back to an earlier step:

1. The hierarchy: ``share_the_hierarchy`` (shared; any number at once) by every transaction that
   reads where units sit, ``move_units_alone`` (exclusive) by a move. A measure stored or rolled
   up under a unit's old parent while the unit moves would otherwise miss the move's roll-up: the
   move waits for readers to finish, and readers that come after it wait for it to commit.
2. The row of the KPI or unit being edited (``SELECT ... FOR UPDATE`` in ``catalogue_store``):
   after the hierarchy, because a move writes values of every KPI of the unit it moves.
3. ``lock_measures``: the months whose revisions are being stored, so two revisions of one month
   never race for the same revision number.
4. ``lock_rollups``: the months being rolled up, one level of the hierarchy at a time, deepest
   first: a second roll-up of a month waits for the first to commit, then reads every child.
5. ``lock_series``: the charts and signal episodes being recomputed.

Steps 3 to 5 are advisory locks held until the transaction ends; each call takes its keys sorted,
so two transactions locking overlapping sets meet in the same order.

Claims stand outside this order: the aggregator worker claims queued work with try-locks held to
the end of its pass, a KPI's month to roll up (``claim|rollup|kpi|month``) and a chart to
recompute (``claim|kpi|unit``), skipping those another worker holds, and the merging of landed
measures (``merge|landed``, one worker at a time); nothing ever waits for a claim. Every
roll-up of a month stays in its KPI's month, and a pass queues the charts its roll-ups change
instead of locking them, taking step 5 only for charts it claimed, so two worker
passes never take the same step 4 or 5 lock and never wait for each other. They wait only for
work done in line (the API, a live batch, a catalogue edit) holding a month or chart they need.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.metrics.adapters.rows import MonthKey, SeriesKey
from shared.db import UnitOfWork, texts

HIERARCHY = "unit placements"


def claim_merging(uow: UnitOfWork) -> bool:
    """A claim (outside the order, never waited for): whether this transaction is the one merging
    landed measures (``merge|landed``); another worker merging already, it is not."""
    row = uow.one("SELECT pg_try_advisory_xact_lock(hashtextextended('merge|landed', 0)) AS claimed")
    return bool(row and row["claimed"])


def share_the_hierarchy(uow: UnitOfWork) -> None:
    """Step 1, shared: let no unit move until this transaction ends, and wait for a move under way
    to commit. Any number of transactions hold it at once."""
    uow.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))", (HIERARCHY,))


def move_units_alone(uow: UnitOfWork) -> None:
    """Step 1, exclusive: wait for every transaction reading the hierarchy to end, and make the
    next ones wait for this one."""
    uow.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (HIERARCHY,))


def lock_measures(uow: UnitOfWork, keys: Iterable[MonthKey]) -> None:
    """Step 3: hold these months' measures until the transaction ends."""
    _advisory_locks(uow, (f"measure|{k}|{u}|{p}" for k, u, p in keys))


def lock_rollups(uow: UnitOfWork, keys: Iterable[MonthKey]) -> None:
    """Step 4: hold these months' roll-ups (one level of the hierarchy per call, deepest first)."""
    _advisory_locks(uow, (f"rollup|{k}|{u}|{p}" for k, u, p in keys))


def lock_series(uow: UnitOfWork, keys: Iterable[SeriesKey]) -> None:
    """Step 5: hold these charts and their signal episodes until the transaction ends."""
    _advisory_locks(uow, (f"chart|{k}|{u}" for k, u in keys))


def _advisory_locks(uow: UnitOfWork, names: Iterable[str]) -> None:
    ordered = sorted(set(names))
    if ordered:  # the array's elements come in order, so the locks are taken in that order
        uow.execute("SELECT count(pg_advisory_xact_lock(hashtextextended(name, 0)))"
                    " FROM json_array_elements_text(%s::json) AS name", (texts(ordered),))

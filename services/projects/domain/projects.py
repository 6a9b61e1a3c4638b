"""The rules of a QI project's life and its PDSA cycles, in plain Python.

A project moves draft -> active -> completed, one stage at a time, never back. Plan-Do-Study-Act
cycles are logged while it is active, once they have happened.
"""

from __future__ import annotations

from datetime import date

from shared.errors import Conflict, InvalidInput

DRAFT, ACTIVE, COMPLETED = "draft", "active", "completed"
STAGES = (DRAFT, ACTIVE, COMPLETED)
NEXT_STAGE: dict[str, str | None] = {DRAFT: ACTIVE, ACTIVE: COMPLETED, COMPLETED: None}


class StageRefused(Conflict):
    """The project's stage does not allow what was asked."""


class CycleRefused(InvalidInput):
    """The PDSA cycle can never be accepted as given; ``field`` names the part that is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", field=field, reason=reason)


def check_stage_move(current: str, target: str) -> None:
    allowed = NEXT_STAGE.get(current)
    if target != allowed:
        raise StageRefused(f"a {current} project cannot move to {target}; next: {allowed or 'none, it is finished'}")


def is_completion(target: str) -> bool:
    return target == COMPLETED


def check_can_log_cycles(stage: str) -> None:
    if stage != ACTIVE:
        raise StageRefused(f"PDSA cycles are logged on active projects; this one is {stage}")


def check_cycle_dates(started_on: date, ended_on: date, today: date) -> None:
    if ended_on < started_on:
        raise CycleRefused("ended_on", "a cycle cannot end before it started")
    if ended_on > today:
        raise CycleRefused("ended_on", "a cycle is logged once it has happened; this date is to come")


def next_cycle_number(cycles_so_far: int) -> int:
    return cycles_so_far + 1

"""Plan-Do-Study-Act cycles, planned before they run, in plain Python.

A cycle is planned (the change idea it tests, the question, the prediction, who, where, when) on an
approved or active project, started on an active project (do), and completed with what was learnt
(study: the result against the prediction over the chart's months; act: adopt, adapt or abandon).
A cycle may follow an earlier completed cycle of the same change idea: the next cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.projects.domain.projects import ACTIVE, APPROVED
from shared.errors import Conflict, InvalidInput

PLANNED, RUNNING, COMPLETED = "planned", "running", "completed"
STATUSES = (PLANNED, RUNNING, COMPLETED)
DECISIONS = ("adopt", "adapt", "abandon")
NEXT_STATUS = {PLANNED: RUNNING, RUNNING: COMPLETED}


class CycleRefused(InvalidInput):
    """The PDSA cycle can never be accepted as given; ``field`` names the part that is wrong."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", field=field, reason=reason)


class CycleStepRefused(Conflict):
    """The cycle, or its project, is not at a point where this step can be taken."""


def check_can_plan(project_stage: str) -> None:
    if project_stage not in (APPROVED, ACTIVE):
        raise CycleStepRefused(f"PDSA cycles are planned on approved or active projects; this one is {project_stage}")


def check_can_move(project_stage: str, status: str, target: str) -> None:
    if project_stage != ACTIVE:
        raise CycleStepRefused(f"PDSA cycles run on active projects; this one is {project_stage}")
    if NEXT_STATUS.get(status) != target:
        raise CycleStepRefused(f"a {status} cycle cannot become {target}")


def check_change_idea(node: Mapping[str, Any] | None) -> None:
    if node is None or node["kind"] != "change_idea":
        raise CycleRefused("change_idea_id", "name a change idea of this project's driver diagram")


def check_follows(previous: Mapping[str, Any] | None, change_idea_id: str) -> None:
    """The cycle it follows is a completed cycle of the same project and change idea."""
    if previous is None:
        raise CycleRefused("follows_cycle_id", "no such cycle in this project")
    if previous["status"] != COMPLETED:
        raise CycleRefused("follows_cycle_id", "a next cycle follows a completed one")
    if str(previous["change_idea_id"]) != change_idea_id:
        raise CycleRefused("follows_cycle_id", "a next cycle tests the same change idea")


def check_started_on(started_on: date, today: date) -> None:
    if started_on > today:
        raise CycleRefused("started_on", "a cycle is started when it starts; this date is to come")


def check_ended_on(started_on: date, ended_on: date, today: date) -> None:
    if ended_on < started_on:
        raise CycleRefused("ended_on", "a cycle cannot end before it started")
    if ended_on > today:
        raise CycleRefused("ended_on", "a cycle is completed once it has ended; this date is to come")


def next_cycle_number(cycles_so_far: int) -> int:
    return cycles_so_far + 1

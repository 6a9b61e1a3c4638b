"""PDSA cycles, planned before they run: plan (on an approved or active project), start (do),
complete (study and act). Each step is announced, so metrics annotates the project's charts when
a cycle starts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.projects.adapters import store
from services.projects.domain import pdsa as rules
from services.projects.domain.projects import check_may_work_on
from services.projects.service_layer.common import Caller, emit, find_project, once_each, team_audience
from shared import audit
from shared.db import UnitOfWork
from shared.errors import NotFound, StaleVersion


class CycleNotFound(NotFound):
    """The project has no such PDSA cycle."""


def plan_cycle(uow: UnitOfWork, project_id: str, plan: dict[str, Any], caller: Caller) -> dict[str, Any]:
    project = find_project(uow, project_id, for_update=True)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead)
    rules.check_can_plan(project["stage"])
    change_idea_id = str(plan["change_idea_id"])
    rules.check_change_idea(store.node(uow, project_id, change_idea_id))
    follows = str(plan["follows_cycle_id"]) if plan.get("follows_cycle_id") else None
    if follows is not None:
        rules.check_follows(store.cycle(uow, project_id, follows), change_idea_id)
    cycle = store.add_cycle(uow, {
        **plan, "id": str(uuid.uuid4()), "project_id": project_id, "change_idea_id": change_idea_id,
        "follows_cycle_id": follows, "cycle_number": rules.next_cycle_number(store.count_cycles(uow, project_id)),
        "logged_by": caller.subject})
    return _announced(uow, project, cycle, "pdsa.cycle_planned")


def start_cycle(uow: UnitOfWork, project_id: str, cycle_id: str, started_on: date, caller: Caller, today: date,
                expected_version: int | None) -> dict[str, Any]:
    project, cycle = _for_step(uow, project_id, cycle_id, caller, expected_version, rules.RUNNING)
    rules.check_started_on(started_on, today)
    changed = store.change_cycle(uow, cycle_id, {"status": rules.RUNNING, "started_on": started_on})
    return _announced(uow, project, changed, "pdsa.cycle_started")


def complete_cycle(uow: UnitOfWork, project_id: str, cycle_id: str, outcome: dict[str, Any], caller: Caller,
                   today: date, expected_version: int | None) -> dict[str, Any]:
    project, cycle = _for_step(uow, project_id, cycle_id, caller, expected_version, rules.COMPLETED)
    rules.check_ended_on(cycle["started_on"], outcome["ended_on"], today)
    changed = store.change_cycle(uow, cycle_id, {
        "status": rules.COMPLETED, "ended_on": outcome["ended_on"], "do": outcome["do"], "study": outcome["study"],
        "months": [str(month) for month in outcome.get("months", [])], "decision": outcome["decision"],
        "act": outcome["act"]})
    return _announced(uow, project, changed, "pdsa.cycle_completed")


def find_cycle(uow: UnitOfWork, project_id: str, cycle_id: str, *, for_update: bool = False) -> dict[str, Any]:
    find_project(uow, project_id)
    cycle = store.cycle(uow, project_id, cycle_id, for_update=for_update)
    if cycle is None:
        raise CycleNotFound(f"project {project_id} has no PDSA cycle {cycle_id}")
    return cycle


def _for_step(uow: UnitOfWork, project_id: str, cycle_id: str, caller: Caller, expected_version: int | None,
              target: str) -> tuple[dict[str, Any], dict[str, Any]]:
    project = find_project(uow, project_id, for_update=True)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead)
    cycle = find_cycle(uow, project_id, cycle_id, for_update=True)
    if expected_version is not None and cycle["version"] != expected_version:
        raise StaleVersion(f"the cycle is at version {cycle['version']}, not {expected_version}")
    rules.check_can_move(project["stage"], cycle["status"], target)
    return project, cycle


def _announced(uow: UnitOfWork, project: dict[str, Any], cycle: dict[str, Any], type: str) -> dict[str, Any]:
    project_id = str(project["id"])
    change_idea = store.node(uow, project_id, str(cycle["change_idea_id"]))
    audit.record(uow, type, "pdsa_cycle", str(cycle["id"]), after_version=cycle["version"])
    emit(uow, type, project_id, {
        "cycle_id": cycle["id"], "cycle_number": cycle["cycle_number"], "title": cycle["title"],
        "change_idea": change_idea["title"] if change_idea else "", "planned_start": cycle["planned_start"],
        "started_on": cycle["started_on"],
        "series": [{"kpi_code": m["kpi_code"], "unit_code": m["unit_code"]} for m in store.measures(uow, project_id)],
        "audience": once_each(team_audience(project["team"]))})
    return cycle

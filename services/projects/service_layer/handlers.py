"""The projects service layer: commands and events in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
Who may do what on a project is decided here (QI leads on every project; the team on its own),
the rules themselves in services/projects/domain.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.projects.adapters import store
from services.projects.domain import projects as rules
from services.projects.domain.projects import COMPLETED, LEAD, check_may_work_on
from services.projects.service_layer import progress
from services.projects.service_layer.common import (
    Caller,
    emit,
    find_project,
    once_each,
    project_for_change,
    team_audience,
)
from shared import audit
from shared.db import UnitOfWork

# -- registering and editing ----------------------------------------------------------------------

def create_project(uow: UnitOfWork, fields: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """Register a project (stage submitted). One from an idea names an accepted idea no project came from."""
    rules.check_team(fields["team"])
    rules.check_aim(fields)
    idea_id = str(fields["idea_id"]) if fields.get("idea_id") else None
    if idea_id is not None:
        if store.project_from_idea(uow, idea_id) is not None:
            raise rules.IdeaAlreadyHasAProject(f"a project already came from idea {idea_id}")
        rules.check_idea(store.idea(uow, idea_id), idea_id)
    project = store.add_project(uow, str(uuid.uuid4()), {**fields, "idea_id": idea_id}, caller.subject)
    project_id = str(project["id"])
    audit.record(uow, "project.created", "project", project_id, after_version=project["version"])
    emit(uow, "project.created", project_id, {
        "title": project["title"], "idea_id": idea_id, "directorate": project["directorate"],
        "unit_code": project["unit_code"], "stage": project["stage"], "created_by": caller.subject,
        "team": project["team"], "audience": once_each(team_audience(project["team"]))}, version=2)
    return project


def change_project(uow: UnitOfWork, project_id: str, changes: dict[str, Any], caller: Caller,
                   expected_version: int | None) -> dict[str, Any]:
    """Edit a project's details until it ends (QI leads, or its lead or coach)."""
    project = project_for_change(uow, project_id, expected_version)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead, roles=(LEAD, rules.COACH))
    rules.check_editable(project["stage"])
    if "team" in changes:
        rules.check_team(changes["team"])
    rules.check_aim({**project, **changes})
    changed = store.change_project(uow, project_id, changes)
    audit.record(uow, "project.changed", "project", project_id, before_version=project["version"],
                 after_version=changed["version"])
    return changed


def move_stage(uow: UnitOfWork, project_id: str, target: str, said: dict[str, Any], caller: Caller,
               expected_version: int | None) -> dict[str, Any]:
    """Approve (QI leads, with the forum's note), start, complete (results, learning) or stop (reason)."""
    project = project_for_change(uow, project_id, expected_version)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead, roles=(LEAD,))
    rules.check_stage_move(project["stage"], target)
    rules.check_move_says_enough(target, said)
    if target == rules.APPROVED:
        rules.check_ready_to_approve(project)
    moved = store.set_stage(uow, project_id, target, caller.subject, said)
    audit.record(uow, "project.stage_changed", "project", project_id, before_version=project["version"],
                 after_version=moved["version"])
    approver = ([{"email": caller.email, "name": caller.name, "relation": "approver"}]
                if target == rules.APPROVED and caller.email else [])
    emit(uow, "project.stage_changed", project_id, {
        "title": project["title"], "from_stage": project["stage"], "to_stage": target,
        "reason": said.get("reason"), "note": said.get("note"), "changed_by": caller.subject,
        "audience": once_each([*approver, *team_audience(project["team"])])}, version=2)
    if target == COMPLETED:
        _announce_completion(uow, moved, caller)
    return moved


def _announce_completion(uow: UnitOfWork, project: dict[str, Any], caller: Caller) -> None:
    project_id = str(project["id"])
    outcome = store.outcome_measure(uow, project_id)
    idea = store.idea(uow, str(project["idea_id"])) if project["idea_id"] else None
    emit(uow, "project.completed", project_id, {
        "title": project["title"], "aim": project["aim"], "idea_id": project["idea_id"], "completed_by": caller.subject,
        "outcome": {"kpi_code": outcome["kpi_code"], "unit_code": outcome["unit_code"]} if outcome else None,
        "results": project["results"], "learning": project["learning"], "team": project["team"],
        "directorate": project["directorate"], "cqc": project["cqc"],
        "audience": once_each([*(idea["audience"] if idea else []), *team_audience(project["team"])])}, version=2)


def project_in_full(uow: UnitOfWork, project_id: str) -> dict[str, Any]:
    project = find_project(uow, project_id)
    return {**project, "history": store.history(uow, project_id), "measures": store.measures(uow, project_id),
            "pdsa_cycles": store.cycles(uow, project_id),
            "suggested_score": progress.suggestion(uow, project)["suggested"]}

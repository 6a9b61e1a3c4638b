"""The projects service layer: commands and events in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.projects.adapters import store
from services.projects.domain.projects import (
    check_can_log_cycles,
    check_cycle_dates,
    check_stage_move,
    is_completion,
    next_cycle_number,
)
from shared import audit, topics
from shared.db import UnitOfWork
from shared.errors import NotFound, StaleVersion
from shared.events import Envelope


class ProjectNotFound(NotFound):
    """No project has that id."""


def create_project(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> dict[str, Any]:
    project = store.add_project(uow, str(uuid.uuid4()), fields, created_by)
    audit.record(uow, "project.created", "project", project["id"], after_version=project["version"])
    uow.emit("project.created", {"project_id": project["id"], "title": project["title"], "aim": project["aim"],
                                 "stage": project["stage"], "idea_id": project["idea_id"], "created_by": created_by},
             topic=topics.PROJECTS, key=str(project["id"]))
    return project


def move_stage(uow: UnitOfWork, project_id: str, target: str, changed_by: str,
               expected_version: int | None = None) -> dict[str, Any]:
    """Move the project to its next stage and announce it; a completion is announced as such too.
    With ``expected_version``, refuse if the project has changed since the caller read it."""
    project = find_project(uow, project_id, for_update=True)
    if expected_version is not None and project["version"] != expected_version:
        raise StaleVersion(f"the project is at version {project['version']}, not {expected_version}")
    check_stage_move(project["stage"], target)
    moved = store.set_stage(uow, project_id, target, changed_by)
    audit.record(uow, "project.stage_changed", "project", project_id, before_version=project["version"],
                 after_version=moved["version"])
    uow.emit("project.stage_changed", {"project_id": project_id, "title": project["title"],
                                       "from_stage": project["stage"], "to_stage": target, "changed_by": changed_by},
             topic=topics.PROJECTS, key=project_id)
    if is_completion(target):
        uow.emit("project.completed", {"project_id": project_id, "title": project["title"], "aim": project["aim"],
                                       "idea_id": project["idea_id"], "completed_by": changed_by},
                 topic=topics.PROJECTS, key=project_id)
    return moved


def log_cycle(uow: UnitOfWork, project_id: str, texts: dict[str, Any], logged_by: str, today: date) -> dict[str, Any]:
    """Log the project's next PDSA cycle, numbered in order, and announce it."""
    project = find_project(uow, project_id, for_update=True)
    check_can_log_cycles(project["stage"])
    check_cycle_dates(texts["started_on"], texts["ended_on"], today)
    number = next_cycle_number(store.count_cycles(uow, project_id))
    cycle = store.add_cycle(uow, {**texts, "id": str(uuid.uuid4()), "project_id": project_id,
                                  "cycle_number": number, "logged_by": logged_by})
    uow.emit("pdsa.cycle_logged", {**_cycle_fields(cycle), "cycle_id": cycle["id"]},
             topic=topics.PROJECTS, key=project_id)
    return cycle


def _cycle_fields(cycle: dict[str, Any]) -> dict[str, Any]:
    names = ("project_id", "cycle_number", "plan", "do", "study", "act", "started_on", "ended_on", "logged_by")
    return {name: cycle[name] for name in names}


def find_project(uow: UnitOfWork, project_id: str, *, for_update: bool = False) -> dict[str, Any]:
    project = store.project(uow, project_id, for_update=for_update)
    if project is None:
        raise ProjectNotFound(f"project {project_id} not found")
    return project


def project_in_full(uow: UnitOfWork, project_id: str) -> dict[str, Any]:
    project = find_project(uow, project_id)
    return {**project, "history": store.history(uow, project_id), "pdsa_cycles": store.cycles(uow, project_id)}


def on_idea_accepted(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """An accepted idea becomes a draft project, by the QI lead who accepted it; its aim is still to write."""
    create_project(uow, {"title": payload["title"], "aim": "", "idea_id": payload["idea_id"]},
                   created_by=payload["accepted_by"])


EVENT_HANDLERS = {
    "idea.accepted": on_idea_accepted,
}

"""What every use case of projects shares: who is asking, finding a project (locked for a change,
at the version the caller read), and announcing an event on the projects topic with its audience."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.projects.adapters import store
from shared import topics
from shared.db import UnitOfWork
from shared.errors import NotFound, StaleVersion

RELATION_OF_ROLE = {"lead": "lead", "sponsor": "sponsor", "coach": "coach", "member": "team"}


class ProjectNotFound(NotFound):
    """No project has that id."""


@dataclass(frozen=True)
class Caller:
    """Who asks: the token's subject, email and name, and whether they are a QI lead (or admin)."""

    subject: str
    email: str | None = None
    name: str | None = None
    is_qi_lead: bool = False


def find_project(uow: UnitOfWork, project_id: str, *, for_update: bool = False) -> dict[str, Any]:
    project = store.project(uow, project_id, for_update=for_update)
    if project is None:
        raise ProjectNotFound(f"project {project_id} not found")
    return project


def project_for_change(uow: UnitOfWork, project_id: str, expected_version: int | None) -> dict[str, Any]:
    """The project, locked; ``StaleVersion`` when the caller read another version (If-Match)."""
    project = find_project(uow, project_id, for_update=True)
    if expected_version is not None and project["version"] != expected_version:
        raise StaleVersion(f"the project is at version {project['version']}, not {expected_version}")
    return project


def path_of(project_id: str) -> str:
    return f"/projects/{project_id}"


def team_audience(team: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"email": m["email"], "name": m.get("name"), "relation": RELATION_OF_ROLE[m["role"]]}
            for m in team if m.get("email")]


def once_each(audience: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each address once, the first relation given winning."""
    seen: dict[str, dict[str, Any]] = {}
    for recipient in audience:
        seen.setdefault(recipient["email"].lower(), dict(recipient))
    return list(seen.values())


def emit(uow: UnitOfWork, type: str, project_id: str, data: dict[str, Any], version: int = 1) -> None:
    """Announce ``type`` about the project (keyed by it, with its portal path)."""
    uow.emit(type, {"project_id": project_id, "path": path_of(project_id), **data}, topic=topics.PROJECTS,
             key=project_id, version=version)

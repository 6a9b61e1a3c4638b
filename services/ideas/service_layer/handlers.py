"""The ideas service layer: commands and events in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.ideas.adapters import store
from services.ideas.domain.ideas import check_free_text, check_transition, is_acceptance
from shared import audit, topics
from shared.consumer import RejectEvent
from shared.db import UnitOfWork
from shared.errors import NotFound, StaleVersion
from shared.events import Envelope


class IdeaNotFound(NotFound):
    """No idea has that id."""


def submit_idea(uow: UnitOfWork, title: str, description: str, submitted_by: str) -> dict[str, Any]:
    check_free_text({"title": title, "description": description})
    idea = store.add_idea(uow, str(uuid.uuid4()), title, description, submitted_by)
    uow.emit("idea.submitted", {"idea_id": idea["id"], "title": title, "description": description,
                                "submitted_by": submitted_by}, topic=topics.IDEAS, key=str(idea["id"]))
    return idea


def change_status(
    uow: UnitOfWork, idea_id: str, target: str, changed_by: str, reason: str | None, expected_version: int | None
) -> dict[str, Any]:
    """Move the idea one step along its review; announce it, and announce an acceptance too."""
    idea = find_idea(uow, idea_id, for_update=True)
    if expected_version is not None and idea["version"] != expected_version:
        raise StaleVersion(f"the idea is at version {idea['version']}, not {expected_version}")
    check_transition(idea["status"], target)
    check_free_text({"reason": reason or ""})
    changed = store.set_status(uow, idea_id, target, changed_by, reason)
    audit.record(uow, "idea.status_changed", "idea", idea_id, before_version=idea["version"],
                 after_version=changed["version"])
    uow.emit("idea.status_changed", {"idea_id": idea_id, "title": idea["title"], "from_status": idea["status"],
                                     "to_status": target, "changed_by": changed_by, "reason": reason},
             topic=topics.IDEAS, key=idea_id)
    if is_acceptance(target):
        uow.emit("idea.accepted", {"idea_id": idea_id, "title": idea["title"], "description": idea["description"],
                                   "submitted_by": idea["submitted_by"], "accepted_by": changed_by},
                 topic=topics.IDEAS, key=idea_id)
    return changed


def find_idea(uow: UnitOfWork, idea_id: str, *, for_update: bool = False) -> dict[str, Any]:
    idea = store.idea(uow, idea_id, for_update=for_update)
    if idea is None:
        raise IdeaNotFound(f"idea {idea_id} not found")
    return idea


def idea_with_history(uow: UnitOfWork, idea_id: str) -> dict[str, Any]:
    idea = find_idea(uow, idea_id)
    return {**idea, "history": store.history(uow, idea_id), "project_ids": store.project_ids(uow, idea_id)}


def on_project_created(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """A project that names the idea it came from is linked to that idea."""
    idea_id = payload.get("idea_id")
    if idea_id is None:
        return
    if store.idea(uow, str(idea_id)) is None:
        raise RejectEvent(f"project {payload['project_id']} names idea {idea_id}, which does not exist")
    store.link_project(uow, str(idea_id), str(payload["project_id"]), payload["title"])


EVENT_HANDLERS = {
    "project.created": on_project_created,
}

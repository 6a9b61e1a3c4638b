"""Editing a project's driver diagram as a tree: add, rename, move and delete nodes.

Every edit names the diagram version it was based on (If-Match on the diagram's ETag), bumps it,
and answers the whole diagram, so the editor always holds the tree it changed.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.projects.adapters import store
from services.projects.domain import diagram as rules
from services.projects.domain.projects import check_editable, check_may_work_on
from services.projects.service_layer.common import Caller, find_project
from shared import audit
from shared.db import UnitOfWork
from shared.errors import NotFound, StaleVersion


class NodeNotFound(NotFound):
    """The driver diagram has no such node."""


def diagram(uow: UnitOfWork, project_id: str) -> dict[str, Any]:
    """The aim with its drivers and change ideas, and the diagram's version (its ETag)."""
    project = find_project(uow, project_id)
    return _as_answer(project, project["diagram_version"], store.nodes(uow, project_id))


def add_node(uow: UnitOfWork, project_id: str, fields: dict[str, Any], caller: Caller,
             expected_version: int | None) -> dict[str, Any]:
    project = _for_edit(uow, project_id, caller, expected_version)
    parent_id = str(fields["parent_id"]) if fields.get("parent_id") else None
    parent = _node(uow, project_id, parent_id, field="parent_id") if parent_id else None
    rules.check_parent(fields["kind"], parent)
    node_id = str(uuid.uuid4())
    store.add_node(uow, project_id, node_id, fields["kind"], fields["title"], parent_id)
    return _edited(uow, project, "driver_node.added", node_id)


def change_node(uow: UnitOfWork, project_id: str, node_id: str, changes: dict[str, Any], caller: Caller,
                expected_version: int | None) -> dict[str, Any]:
    """Rename (``title``) and/or move (``parent_id``: a node of the kind above it) a node."""
    project = _for_edit(uow, project_id, caller, expected_version)
    node = _node(uow, project_id, node_id)
    if "parent_id" in changes:
        parent_id = str(changes["parent_id"]) if changes["parent_id"] else None
        rules.check_parent(node["kind"], _node(uow, project_id, parent_id, field="parent_id") if parent_id else None)
        changes = {**changes, "parent_id": parent_id}
    store.change_node(uow, node_id, changes)
    return _edited(uow, project, "driver_node.changed", node_id)


def delete_node(uow: UnitOfWork, project_id: str, node_id: str, caller: Caller,
                expected_version: int | None) -> dict[str, Any]:
    project = _for_edit(uow, project_id, caller, expected_version)
    _node(uow, project_id, node_id)
    rules.check_deletable(store.children_of(uow, node_id), store.cycles_testing(uow, node_id))
    store.delete_node(uow, node_id)
    return _edited(uow, project, "driver_node.deleted", node_id)


def _for_edit(uow: UnitOfWork, project_id: str, caller: Caller, expected_version: int | None) -> dict[str, Any]:
    project = find_project(uow, project_id, for_update=True)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead)
    if expected_version is not None and project["diagram_version"] != expected_version:
        raise StaleVersion(f"the driver diagram is at version {project['diagram_version']}, not {expected_version}")
    check_editable(project["stage"])
    return project


def _node(uow: UnitOfWork, project_id: str, node_id: str | None, *, field: str | None = None) -> dict[str, Any]:
    node = store.node(uow, project_id, node_id)
    if node is None:
        if field:
            raise rules.NodeRefused(field, f"the driver diagram has no node {node_id}")
        raise NodeNotFound(f"the driver diagram has no node {node_id}")
    return node


def _edited(uow: UnitOfWork, project: dict[str, Any], operation: str, node_id: str) -> dict[str, Any]:
    project_id = str(project["id"])
    version = store.bump_diagram(uow, project_id)
    audit.record(uow, operation, "driver_node", node_id, before_version=project["diagram_version"],
                 after_version=version)
    return _as_answer(project, version, store.nodes(uow, project_id))


def _as_answer(project: dict[str, Any], version: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"project_id": project["id"], "title": project["title"], "aim": project["aim"], "version": version,
            "drivers": rules.tree(rows)}

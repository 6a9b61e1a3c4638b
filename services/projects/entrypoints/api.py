"""The projects REST API: QI projects, their stages and their PDSA cycles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Flask, current_app

from services.projects import bootstrap
from services.projects.adapters import store
from services.projects.entrypoints.schemas import (
    PdsaCycleInSchema,
    PdsaCycleSchema,
    ProjectDetailSchema,
    ProjectInSchema,
    ProjectQuery,
    ProjectSchema,
    StageMoveSchema,
)
from services.projects.service_layer import handlers
from shared.db import unit_of_work
from shared.pagination import offset_of, page_body, page_of
from shared.web import (
    Blueprint,
    build_service_app,
    created,
    current_principal,
    if_match_version,
    requires_roles,
    requires_sign_in,
    versioned,
)

api = Blueprint("projects", __name__, url_prefix="/api/v1", description="QI projects, stages and PDSA cycles")


def _app() -> bootstrap.Projects:
    return current_app.extensions["projects"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


@api.route("/projects", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(ProjectInSchema)
@api.response(201, ProjectSchema)
def create_project(fields: dict) -> Any:
    """Start a QI project as a draft, optionally from the idea it came from."""
    with _uow() as uow:
        project = handlers.create_project(uow, fields, current_principal().user)
    return created(project, f"/api/v1/projects/{project['id']}")


@api.route("/projects", methods=["GET"])
@requires_sign_in
@api.arguments(ProjectQuery, location="query")
@api.response(200, page_of(ProjectSchema))
def list_projects(query: dict) -> Any:
    """Projects, newest first, optionally only those at one stage."""
    with _uow() as uow:
        rows, total = store.page(uow, query.get("stage"), query["page_size"], offset_of(query))
    return page_body(rows, query, total)


@api.route("/projects/<uuid:project_id>", methods=["GET"])
@requires_sign_in
@api.response(200, ProjectDetailSchema)
def get_project(project_id: UUID) -> Any:
    """One project with every stage it has been in and its PDSA cycles."""
    with _uow() as uow:
        return versioned(handlers.project_in_full(uow, str(project_id)))


@api.route("/projects/<uuid:project_id>/stage", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(StageMoveSchema)
@api.response(200, ProjectSchema)
def move_stage(move: dict, project_id: UUID) -> Any:
    """draft -> active -> completed, one stage at a time. Send If-Match with the ETag to avoid lost updates."""
    with _uow() as uow:
        return versioned(handlers.move_stage(uow, str(project_id), move["stage"], current_principal().user,
                                             if_match_version()))


@api.route("/projects/<uuid:project_id>/pdsa-cycles", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(PdsaCycleInSchema)
@api.response(201, PdsaCycleSchema)
def log_cycle(cycle: dict, project_id: UUID) -> Any:
    """Log a Plan-Do-Study-Act cycle that has happened on an active project (Location: the project,
    which lists its cycles)."""
    with _uow() as uow:
        logged = handlers.log_cycle(uow, str(project_id), cycle, current_principal().user, _app().today())
    return created(logged, f"/api/v1/projects/{project_id}")


def create_app(app_state: bootstrap.Projects | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR projects",
        description="Quality Improvement projects: aims, stages and PDSA cycles (no patient-identifiable data).",
        blueprints=[api],
    )

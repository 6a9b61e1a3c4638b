"""The projects REST API: QI projects, their stages and their PDSA cycles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from flask import Flask, current_app
from flask_smorest import Blueprint

from services.projects import bootstrap
from services.projects.adapters import store
from services.projects.domain.projects import CycleRefused, StageRefused
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
from shared.auth import ROLES
from shared.db import unit_of_work
from shared.pagination import page, page_of
from shared.web import BEARER, ServiceError, build_service_app, current_principal, requires_roles

api = Blueprint("projects", __name__, url_prefix="/api/v1", description="QI projects, stages and PDSA cycles")


def _app() -> bootstrap.Projects:
    return current_app.extensions["projects"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


@api.route("/projects", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("qi_lead")
@api.arguments(ProjectInSchema)
@api.response(201, ProjectSchema)
def create_project(fields: dict) -> Any:
    """Start a QI project as a draft, optionally from the idea it came from."""
    with _uow() as uow:
        project = handlers.create_project(uow, fields, current_principal().user)
    return project, 201, {"Location": f"/api/v1/projects/{project['id']}"}


@api.route("/projects", methods=["GET"])
@api.doc(security=BEARER)
@requires_roles(*ROLES)
@api.arguments(ProjectQuery, location="query")
@api.response(200, page_of(ProjectSchema))
def list_projects(query: dict) -> Any:
    """Projects, newest first, optionally only those at one stage."""
    with _uow() as uow:
        return page(uow, store.PROJECTS, query)


@api.route("/projects/<uuid:project_id>", methods=["GET"])
@api.doc(security=BEARER)
@requires_roles(*ROLES)
@api.response(200, ProjectDetailSchema)
def get_project(project_id: UUID) -> Any:
    """One project with every stage it has been in and its PDSA cycles."""
    with _refusals(), _uow() as uow:
        return handlers.project_in_full(uow, str(project_id))


@api.route("/projects/<uuid:project_id>/stage", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("qi_lead")
@api.arguments(StageMoveSchema)
@api.response(200, ProjectSchema)
def move_stage(move: dict, project_id: UUID) -> Any:
    """draft -> active -> completed, one stage at a time."""
    with _refusals(), _uow() as uow:
        return handlers.move_stage(uow, str(project_id), move["stage"], current_principal().user)


@api.route("/projects/<uuid:project_id>/pdsa-cycles", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("qi_lead")
@api.arguments(PdsaCycleInSchema)
@api.response(201, PdsaCycleSchema)
def log_cycle(cycle: dict, project_id: UUID) -> Any:
    """Log a Plan-Do-Study-Act cycle that has happened on an active project."""
    with _refusals(), _uow() as uow:
        logged = handlers.log_cycle(uow, str(project_id), cycle, current_principal().user, _app().today())
    return logged, 201


@contextmanager
def _refusals() -> Iterator[None]:
    """Turns the service layer's refusals into problem responses, after the transaction rolled back."""
    try:
        yield
    except handlers.ProjectNotFound as exc:
        raise ServiceError(404, str(exc)) from None
    except StageRefused as exc:
        raise ServiceError(409, str(exc)) from None
    except CycleRefused as exc:
        raise ServiceError(422, str(exc), errors={exc.field: [exc.reason]}) from None


def create_app(app_state: bootstrap.Projects | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR projects",
        description="Quality Improvement projects: aims, stages and PDSA cycles (no patient-identifiable data).",
        blueprints=[api],
    )

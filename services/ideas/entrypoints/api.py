"""The ideas REST API: submit improvement ideas, review them, follow what became of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from flask import Flask, current_app
from flask_smorest import Blueprint

from services.ideas import bootstrap
from services.ideas.adapters import store
from services.ideas.domain.ideas import PatientDataFound, TransitionRefused
from services.ideas.entrypoints.schemas import (
    NO_PATIENT_DATA,
    IdeaDetailSchema,
    IdeaInSchema,
    IdeaQuery,
    IdeaSchema,
    StatusChangeSchema,
)
from services.ideas.service_layer import handlers
from shared.auth import ROLES
from shared.db import unit_of_work
from shared.pagination import page, page_of
from shared.web import (
    BEARER,
    ServiceError,
    build_service_app,
    current_principal,
    etag_of,
    if_match_version,
    requires_roles,
)

api = Blueprint("ideas", __name__, url_prefix="/api/v1", description=f"Improvement ideas. {NO_PATIENT_DATA}")


def _uow() -> Any:
    state: bootstrap.Ideas = current_app.extensions["ideas"]
    return unit_of_work(state.pool, bootstrap.SERVICE)


@api.route("/ideas", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("staff", "qi_lead")
@api.arguments(IdeaInSchema)
@api.response(201, IdeaSchema)
def submit_idea(fields: dict) -> Any:
    """Put forward an idea; the submitter is the caller. It must not identify any patient."""
    with _refusals(), _uow() as uow:
        idea = handlers.submit_idea(uow, fields["title"], fields["description"], current_principal().user)
    return idea, 201, {**etag_of(idea["version"]), "Location": f"/api/v1/ideas/{idea['id']}"}


@api.route("/ideas", methods=["GET"])
@api.doc(security=BEARER)
@requires_roles(*ROLES)
@api.arguments(IdeaQuery, location="query")
@api.response(200, page_of(IdeaSchema))
def list_ideas(query: dict) -> Any:
    """Ideas, newest first, optionally only those with one status."""
    with _uow() as uow:
        return page(uow, store.IDEAS, query)


@api.route("/ideas/<uuid:idea_id>", methods=["GET"])
@api.doc(security=BEARER)
@requires_roles(*ROLES)
@api.response(200, IdeaDetailSchema)
def get_idea(idea_id: UUID) -> Any:
    """One idea with every status it has had and the projects that came of it."""
    with _refusals(), _uow() as uow:
        idea = handlers.idea_with_history(uow, str(idea_id))
    return idea, 200, etag_of(idea["version"])


@api.route("/ideas/<uuid:idea_id>/status", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("qi_lead")
@api.arguments(StatusChangeSchema)
@api.response(200, IdeaSchema)
def change_status(change: dict, idea_id: UUID) -> Any:
    """submitted -> under_review -> accepted | declined. Send If-Match with the ETag to avoid lost updates."""
    with _refusals(), _uow() as uow:
        idea = handlers.change_status(uow, str(idea_id), change["status"], current_principal().user,
                                      change["reason"], if_match_version())
    return idea, 200, etag_of(idea["version"])


REFUSAL_STATUS = {handlers.IdeaNotFound: 404, TransitionRefused: 409, handlers.StaleVersion: 412}


@contextmanager
def _refusals() -> Iterator[None]:
    """Turns the service layer's refusals into problem responses, after the transaction rolled back."""
    try:
        yield
    except PatientDataFound as exc:
        raise ServiceError(422, str(exc), errors={exc.field: [str(exc)]}) from None
    except (handlers.IdeaNotFound, TransitionRefused, handlers.StaleVersion) as exc:
        raise ServiceError(REFUSAL_STATUS[type(exc)], str(exc)) from None


def create_app(app_state: bootstrap.Ideas | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR ideas",
        description=f"Improvement ideas from staff and patients, their review and status history. {NO_PATIENT_DATA}",
        blueprints=[api],
    )

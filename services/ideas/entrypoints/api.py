"""The ideas REST API: submit improvement ideas, review them, follow what became of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Flask, current_app

from services.ideas import bootstrap
from services.ideas.adapters import store
from services.ideas.entrypoints.schemas import (
    NO_PATIENT_DATA,
    IdeaDetailSchema,
    IdeaInSchema,
    IdeaQuery,
    IdeaSchema,
    StatusChangeSchema,
)
from services.ideas.service_layer import handlers
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

api = Blueprint("ideas", __name__, url_prefix="/api/v1", description=f"Improvement ideas. {NO_PATIENT_DATA}")


def _uow() -> Any:
    state: bootstrap.Ideas = current_app.extensions["ideas"]
    return unit_of_work(state.pool, bootstrap.SERVICE)


@api.route("/ideas", methods=["POST"])
@requires_roles("staff", "qi_lead")
@api.arguments(IdeaInSchema)
@api.response(201, IdeaSchema)
def submit_idea(fields: dict) -> Any:
    """Put forward an idea; the submitter is the caller. It must not identify any patient."""
    with _uow() as uow:
        idea = handlers.submit_idea(uow, fields["title"], fields["description"], current_principal().user)
    return created(idea, f"/api/v1/ideas/{idea['id']}")


@api.route("/ideas", methods=["GET"])
@requires_sign_in
@api.arguments(IdeaQuery, location="query")
@api.response(200, page_of(IdeaSchema))
def list_ideas(query: dict) -> Any:
    """Ideas, newest first, optionally only those with one status."""
    with _uow() as uow:
        rows, total = store.page(uow, query.get("status"), query["page_size"], offset_of(query))
    return page_body(rows, query, total)


@api.route("/ideas/<uuid:idea_id>", methods=["GET"])
@requires_sign_in
@api.response(200, IdeaDetailSchema)
def get_idea(idea_id: UUID) -> Any:
    """One idea with every status it has had and the projects that came of it."""
    with _uow() as uow:
        return versioned(handlers.idea_with_history(uow, str(idea_id)))


@api.route("/ideas/<uuid:idea_id>/status", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(StatusChangeSchema)
@api.response(200, IdeaSchema)
def change_status(change: dict, idea_id: UUID) -> Any:
    """submitted -> under_review -> accepted | declined. Send If-Match with the ETag to avoid lost updates."""
    with _uow() as uow:
        return versioned(handlers.change_status(uow, str(idea_id), change["status"], current_principal().user,
                                                change["reason"], if_match_version()))


def create_app(app_state: bootstrap.Ideas | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR ideas",
        description=f"Improvement ideas from staff and patients, their review and status history. {NO_PATIENT_DATA}",
        blueprints=[api],
    )

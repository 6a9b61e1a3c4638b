"""GET /api/v1/audit: the audit trail of the service, for admins only. Every service registers
this one blueprint (``shared.web.build_service_app``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context
from marshmallow import Schema, fields, validate

from shared import audit
from shared.db import unit_of_work
from shared.pagination import PageQuery, page, page_of
from shared.web import Blueprint, requires_roles

blueprint = Blueprint("audit", __name__, url_prefix="/api/v1",
                      description="The audit trail: who changed what, and who read whose contact details.")
_TEXT = validate.Length(min=1, max=200)


class AuditQuery(PageQuery):
    resource_type = fields.String(validate=_TEXT, metadata={"description": "e.g. idea, kpi, session"})
    resource_id = fields.String(validate=_TEXT)
    actor = fields.String(validate=_TEXT, metadata={"description": "the subject of the acting token"})
    operation = fields.String(validate=_TEXT, metadata={"description": "e.g. idea.status_changed"})


class AuditEntrySchema(Schema):
    id = fields.Integer(metadata={"example": 4211})
    occurred_at = fields.DateTime(metadata={"example": "2026-03-04T09:15:00+00:00"})
    actor = fields.String(metadata={"example": "qi.lead@trust.example"})
    actor_roles = fields.List(fields.String(), metadata={"example": ["qi_lead"]})
    operation = fields.String(metadata={"example": "kpi.changed"})
    resource_type = fields.String(metadata={"example": "kpi"})
    resource_id = fields.String(metadata={"example": "ALOS"})
    before_version = fields.Integer(allow_none=True, metadata={"example": 3})
    after_version = fields.Integer(allow_none=True, metadata={"example": 4})
    correlation_id = fields.String(allow_none=True, metadata={"example": "5c1f0e7a9b3d4e26a8f2c4d1b7e90a35"})


@blueprint.route("/audit", methods=["GET"])
@requires_roles("admin")
@blueprint.arguments(AuditQuery, location="query")
@blueprint.response(200, page_of(AuditEntrySchema))
def list_audit_entries(query: dict) -> Any:
    """Audit entries, newest first, filtered by resource, actor or operation. Admins only."""
    state = current_app.extensions[current_app.name]
    with unit_of_work(state.pool, current_app.name) as uow:
        return page(uow, audit.AUDIT_LOG, query)


def actor_of_request() -> audit.Actor | None:
    """The authenticated caller of the request in hand, if any (``shared.web`` keeps it in g)."""
    principal = g.get("principal") if has_request_context() else None
    return audit.Actor(principal.user, tuple(sorted(principal.roles))) if principal else None

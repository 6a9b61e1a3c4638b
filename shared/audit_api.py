"""GET /api/v1/audit: the audit trail of the service, for admins only. Every service registers
this one blueprint (``shared.web.build_service_app``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app, g, has_request_context
from marshmallow import Schema, fields, validate

from shared import audit
from shared.db import unit_of_work
from shared.pagination import MAX_PAGE_SIZE
from shared.web import Blueprint, requires_roles

blueprint = Blueprint("audit", __name__, url_prefix="/api/v1",
                      description="The audit trail: who changed what, and who read whose contact details.")
_TEXT = validate.Length(min=1, max=200)


class AuditQuery(Schema):
    resource_type = fields.String(validate=_TEXT, metadata={"description": "e.g. idea, kpi, session"})
    resource_id = fields.String(validate=_TEXT)
    actor = fields.String(validate=_TEXT, metadata={"description": "the subject of the acting token"})
    operation = fields.String(validate=_TEXT, metadata={"description": "e.g. idea.status_changed"})
    before = fields.Integer(validate=validate.Range(min=1, max=2**62),
                            metadata={"description": "only entries older than this entry id (next_before)"})
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    actor_roles = fields.List(fields.String())
    operation = fields.String()
    resource_type = fields.String()
    resource_id = fields.String()
    before_version = fields.Integer(allow_none=True)
    after_version = fields.Integer(allow_none=True)
    correlation_id = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_before = fields.Integer(allow_none=True, metadata={"description": "pass as before for the next page"})


@blueprint.route("/audit", methods=["GET"])
@requires_roles("admin")
@blueprint.arguments(AuditQuery, location="query")
@blueprint.response(200, AuditPageSchema)
def list_audit_entries(query: dict) -> Any:
    """Audit entries, newest first, filtered by resource, actor or operation. Admins only."""
    limit = query.pop("page_size")
    state = current_app.extensions[current_app.name]
    with unit_of_work(state.pool, current_app.name) as uow:
        items = audit.entries(uow, audit.AuditFilter(**query), limit)
    return {"items": [asdict(item) for item in items],
            "next_before": items[-1].id if len(items) == limit else None}


def actor_of_request() -> audit.Actor | None:
    """The authenticated caller of the request in hand, if any (``shared.web`` keeps it in g)."""
    principal = g.get("principal") if has_request_context() else None
    return audit.Actor(principal.user, tuple(sorted(principal.roles))) if principal else None

"""The notifications REST API: the outbound email log."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from marshmallow import Schema, fields, validate

from services.notifications import bootstrap
from services.notifications.adapters import store
from shared.pagination import PageQuery, offset_of, page_body, page_of
from shared.web import Blueprint, build_service_app, requires_roles

api = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Emails the platform sends")


class EmailQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(["pending", "sent", "failed"]))


class EmailSchema(Schema):
    id = fields.String()
    caused_by = fields.String(metadata={"description": "id of the event that caused it"})
    event_type = fields.String()
    recipients = fields.List(fields.String())
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


@api.route("/emails", methods=["GET"])
@requires_roles("admin")
@api.arguments(EmailQuery, location="query")
@api.response(200, page_of(EmailSchema))
def list_emails(query: dict) -> Any:
    """The outbound email log, newest first; nothing sent is ever deleted."""
    state: bootstrap.Notifications = current_app.extensions["notifications"]
    with state.pool.connection() as conn:
        rows, total = store.page(conn, query["page_size"], offset_of(query), query.get("status"))
    return page_body(rows, query, total)


def create_app(app_state: bootstrap.Notifications | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR notifications",
        description="The outbound email log: the emails sent to KPI owners about their KPIs (a new or revised month, "
                    "a special cause, an overdue measure). There are no subscriptions to manage.",
        blueprints=[api],
    )
